/**
 * Account-key rotation in the browser (docs/protocol.md "Account-key
 * rotation"). A new account key is made here and sealed under the password's
 * KEK; the private key, every owner wrap, every folder name, the client state
 * and a new recovery code are re-sealed under it. The raw new key exists only
 * inside these functions: it leaves them as a non-extractable CryptoKey, and
 * as the recovery material made while it was at hand.
 */
import type { KdfParams, PendingKeyRotation, RecoveryMaterial, RotatedFolderName, RotatedOwnerWrap } from '@phr/shared-types';
import { PRIVATE_KEY_AAD } from './account.js';
import { randomBytes } from './encoding.js';
import { CryptoError } from './errors.js';
import { accountKeyAad } from './kdf.js';
import { deriveRecoveryKeys, newRecoveryCode, RECOVERY_WRAP_AAD } from './recovery-code.js';
import { open, seal } from './sealed.js';

const AES_GCM = { name: 'AES-GCM', length: 256 } as const;
const ownerWrapAad = (recordId: string, ownerId: string) => `phr/v1/file-key|${recordId}|${ownerId}`;
const folderNameAad = (ownerId: string) => `phr/v1/folder-name|${ownerId}`;

/** The new key of a rotation as the vault holds it: the key itself, and the recovery made for it. */
export interface RotationKey {
  accountKey: CryptoKey;
  wrappedAccountKey: string;
  wrappedPrivateKey: string;
  /** A new recovery code, shown once when the rotation finishes; its material goes with the finish. */
  recovery: RecoveryMaterial;
  recoveryCode: string;
}

/** What the account keys open: the key in force and, during a rotation, the key it retires. */
export interface AccountKeys {
  accountKey: CryptoKey;
  retiringAccountKey?: CryptoKey;
}

/**
 * Opens with the account key, then, during a rotation, with the retiring key:
 * rows not yet re-sealed are still under it.
 */
export async function openUnderAccountKeys<T>(keys: AccountKeys, opener: (key: CryptoKey) => Promise<T>): Promise<T> {
  try {
    return await opener(keys.accountKey);
  } catch (error) {
    if (!keys.retiringAccountKey) throw error;
    return opener(keys.retiringAccountKey);
  }
}

/**
 * A new account key: sealed under the KEK with the account's own KDF
 * parameters (the password opens it as it opens the old one), the private key
 * (opened with the old account key) sealed under it, and a new recovery code.
 */
export async function newRotationKey(kek: CryptoKey, kdf: KdfParams, oldAccountKey: CryptoKey, wrappedPrivateKey: string): Promise<RotationKey> {
  const raw = randomBytes(32);
  try {
    const pkcs8 = await open(oldAccountKey, wrappedPrivateKey, PRIVATE_KEY_AAD);
    try {
      const accountKey = await importAccountKey(raw);
      return {
        accountKey,
        wrappedAccountKey: await seal(kek, raw, accountKeyAad(kdf)),
        wrappedPrivateKey: await seal(accountKey, pkcs8, PRIVATE_KEY_AAD),
        ...(await recoveryFor(raw)),
      };
    } finally {
      pkcs8.fill(0);
    }
  } finally {
    raw.fill(0);
  }
}

/**
 * Sign-in during a rotation: the new key opens with the same KEK, and the
 * private key under it must be the very key the old account key opens (a
 * server that swapped in another key pair is refused).
 */
export async function openRotationKey(kek: CryptoKey, kdf: KdfParams, oldAccountKey: CryptoKey, wrappedPrivateKey: string, pending: PendingKeyRotation): Promise<RotationKey> {
  const raw = await open(kek, pending.wrappedAccountKey, accountKeyAad(kdf));
  try {
    const accountKey = await importAccountKey(raw);
    const [oldPkcs8, newPkcs8] = await Promise.all([open(oldAccountKey, wrappedPrivateKey, PRIVATE_KEY_AAD), open(accountKey, pending.wrappedPrivateKey, PRIVATE_KEY_AAD)]);
    const isSameKey = oldPkcs8.length === newPkcs8.length && oldPkcs8.every((byte, i) => byte === newPkcs8[i]);
    oldPkcs8.fill(0);
    newPkcs8.fill(0);
    if (!isSameKey) throw new CryptoError('ROTATION_KEY_MISMATCH', 'The private key under the new account key is not your private key');
    return { accountKey, wrappedAccountKey: pending.wrappedAccountKey, wrappedPrivateKey: pending.wrappedPrivateKey, ...(await recoveryFor(raw)) };
  } finally {
    raw.fill(0);
  }
}

/** Rows the server listed as still under the old key. */
export interface RowsToReseal {
  ownerWraps: RotatedOwnerWrap[];
  folders: RotatedFolderName[];
}

/** A re-sealed batch, and the rows that opened under neither key: a security event, never skipped in silence. */
export interface ResealedBatch extends RowsToReseal {
  unreadable: Array<{ kind: 'ownerWrap'; recordId: string } | { kind: 'folder'; folderId: string }>;
}

/**
 * Opens each row with the old key and seals it with the new. A row that
 * already opens with the new key (re-sealed before a reload) is sent as it is;
 * one that opens with neither is reported, not sent.
 */
export async function resealRows(keys: { oldKey: CryptoKey; newKey: CryptoKey }, ownerId: string, rows: RowsToReseal): Promise<ResealedBatch> {
  const batch: ResealedBatch = { ownerWraps: [], folders: [], unreadable: [] };
  for (const row of rows.ownerWraps) {
    const wrap = await reseal(keys, row.wrap, ownerWrapAad(row.recordId, ownerId));
    if (wrap === null) batch.unreadable.push({ kind: 'ownerWrap', recordId: row.recordId });
    else batch.ownerWraps.push({ recordId: row.recordId, wrap });
  }
  for (const row of rows.folders) {
    const name = await reseal(keys, row.name, folderNameAad(ownerId));
    if (name === null) batch.unreadable.push({ kind: 'folder', folderId: row.folderId });
    else batch.folders.push({ folderId: row.folderId, name });
  }
  return batch;
}

/** A sealed blob opened with the old key and sealed with the new; as it is when it opens with the new key already; null when it opens with neither. */
export async function reseal(keys: { oldKey: CryptoKey; newKey: CryptoKey }, blob: string, aad: string): Promise<string | null> {
  const plaintext = await open(keys.oldKey, blob, aad).catch(() => null);
  if (plaintext) {
    try {
      return await seal(keys.newKey, plaintext, aad);
    } finally {
      plaintext.fill(0);
    }
  }
  const already = await open(keys.newKey, blob, aad).catch(() => null);
  if (!already) return null;
  already.fill(0);
  return blob;
}

async function recoveryFor(raw: Uint8Array<ArrayBuffer>): Promise<{ recovery: RecoveryMaterial; recoveryCode: string }> {
  const code = newRecoveryCode();
  const { recoveryAuthKey, recoveryKek } = await deriveRecoveryKeys(code.bytes);
  code.bytes.fill(0);
  return { recovery: { recoveryAuthKey, recoveryWrappedAccountKey: await seal(recoveryKek, raw, RECOVERY_WRAP_AAD) }, recoveryCode: code.code };
}

function importAccountKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, AES_GCM, false, ['encrypt', 'decrypt']);
}
