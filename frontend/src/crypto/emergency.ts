/**
 * Break-glass keys (docs/protocol.md "Break-glass"). The patient's browser makes an emergency
 * RSA-OAEP key pair, seals its private key (PKCS#8) under a random 256-bit emergency secret,
 * and splits that secret k-of-n with Shamir's secret sharing (the audited `shamir-secret-sharing`
 * package); each share (33 bytes) is wrapped with RSA-OAEP for one holder's public key. File keys
 * in scope are wrapped for the emergency public key. A holder's browser opens its share and
 * re-wraps it for the clinician who broke the glass; the clinician's browser combines k shares,
 * opens the sealed private key and unwraps file keys. The server holds only ciphertext.
 */
import { combine, split } from 'shamir-secret-sharing';
import type { EmergencyHolderShare } from '@phr/shared-types';
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from './encoding.js';
import { fingerprintHex } from './fingerprint.js';
import { openUnderAccountKeys, reseal, type AccountKeys } from './key-rotation.js';
import { importFileKey } from './record-keys.js';
import { CryptoError } from './errors.js';
import { open, seal } from './sealed.js';

const RSA_OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;
const EMERGENCY_KEY_BITS = 3072;

export const emergencyShareLabel = (patientId: string, holderId: string, fingerprint: string) => `phr/v1/emergency-share|${patientId}|${holderId}|${fingerprint}`;
export const emergencyReleaseLabel = (breakId: string, clinicianId: string, fingerprint: string) => `phr/v1/emergency-release|${breakId}|${clinicianId}|${fingerprint}`;
export const emergencyWrapLabel = (recordId: string, patientId: string, fingerprint: string) => `phr/v1/emergency-wrap|${recordId}|${patientId}|${fingerprint}`;
export const emergencyKeyAad = (patientId: string, fingerprint: string) => `phr/v1/emergency-key|${patientId}|${fingerprint}`;

/** A holder as the patient's browser checked them: their public key and its fingerprint, recomputed from it. */
export interface EmergencyHolderKey {
  holderId: string;
  publicKey: CryptoKey;
  fingerprint: string;
}

export interface NewEmergencyKey {
  /** SPKI, base64url, and its fingerprint. */
  publicKey: string;
  fingerprint: string;
  /** Imported for wrapping file keys. */
  wrappingKey: CryptoKey;
  sealedPrivateKey: string;
  shares: EmergencyHolderShare[];
}

/** A new emergency key, its private key sealed under a fresh secret split k-of-n among the holders. */
export async function createEmergencyKey(patientId: string, holders: EmergencyHolderKey[], threshold: number): Promise<NewEmergencyKey> {
  if (threshold < 1 || threshold > holders.length) throw new RangeError('threshold must be between 1 and the number of holders');
  const pair = await crypto.subtle.generateKey({ ...RSA_OAEP, modulusLength: EMERGENCY_KEY_BITS, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['encrypt', 'decrypt']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const fingerprint = await fingerprintHex(spki);
  const secret = randomBytes(32);
  try {
    const sealedPrivateKey = await seal(await importFileKey(secret), pkcs8, emergencyKeyAad(patientId, fingerprint));
    // Shamir's scheme needs k >= 2; with k = 1 any one holder alone opens it, so each holder's share is the secret itself.
    const parts = threshold === 1 ? holders.map(() => secret.slice()) : await split(secret, holders.length, threshold);
    const shares = await Promise.all(
      holders.map(async (holder, index) => ({
        holderId: holder.holderId,
        fingerprint: holder.fingerprint,
        share: await rsaEncrypt(holder.publicKey, new Uint8Array(parts[index]), emergencyShareLabel(patientId, holder.holderId, holder.fingerprint)),
      })),
    );
    parts.forEach((part) => part.fill(0));
    return { publicKey: toBase64Url(spki), fingerprint, wrappingKey: await importEmergencyPublicKey(toBase64Url(spki)), sealedPrivateKey, shares };
  } finally {
    secret.fill(0);
    pkcs8.fill(0);
  }
}

export function importEmergencyPublicKey(spki: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('spki', fromBase64Url(spki), RSA_OAEP, false, ['encrypt']);
}

const keyCheckAad = (patientId: string) => `phr/v1/emergency-key-check|${patientId}`;

/** The emergency key's fingerprint sealed under the patient's account key: what the patient's uploads check the server's key against. */
export function sealKeyCheck(accountKey: CryptoKey, patientId: string, fingerprint: string): Promise<string> {
  return seal(accountKey, utf8(fingerprint), keyCheckAad(patientId));
}

/**
 * The emergency key the server named for an upload, imported only when its fingerprint is the
 * one the patient's browser sealed at setup (a key the server made itself fails here). During an
 * account-key rotation the check may still be under the retiring key.
 */
export async function checkedEmergencyKey(keys: AccountKeys, patientId: string, emergency: { publicKey: string; keyCheck: string }): Promise<{ key: CryptoKey; fingerprint: string }> {
  const fingerprint = await fingerprintHex(fromBase64Url(emergency.publicKey));
  const sealed = new TextDecoder().decode(await openUnderAccountKeys(keys, (key) => open(key, emergency.keyCheck, keyCheckAad(patientId))));
  if (sealed !== fingerprint) throw new CryptoError('KEY_NOT_VERIFIED', 'The server named an emergency key this browser did not make');
  return { key: await importEmergencyPublicKey(emergency.publicKey), fingerprint };
}

/** The key check for an account-key rotation's finish: opened with the old key (or found under the new one already) and sealed with the new. */
export async function resealKeyCheck(keys: { oldKey: CryptoKey; newKey: CryptoKey }, patientId: string, sealed: string): Promise<string> {
  const resealed = await reseal(keys, sealed, keyCheckAad(patientId));
  if (resealed === null) throw new CryptoError('KEY_NOT_VERIFIED', 'The break-glass key check opens under neither your old nor your new account key');
  return resealed;
}

/** A file key wrapped for the emergency key; the label names the record, the patient and the key. */
export function wrapForEmergency(emergencyKey: CryptoKey, rawFileKey: Uint8Array<ArrayBuffer>, recordId: string, patientId: string, fingerprint: string): Promise<string> {
  return rsaEncrypt(emergencyKey, rawFileKey, emergencyWrapLabel(recordId, patientId, fingerprint));
}

/** The holder's browser: its share opened with its private key and wrapped again for the clinician's (proven) key. */
export async function releaseShare(
  holderPrivateKey: CryptoKey,
  share: EmergencyHolderShare,
  patientId: string,
  clinician: { id: string; publicKey: CryptoKey; fingerprint: string },
  breakId: string,
): Promise<string> {
  const raw = await rsaDecrypt(holderPrivateKey, share.share, emergencyShareLabel(patientId, share.holderId, share.fingerprint));
  try {
    return await rsaEncrypt(clinician.publicKey, raw, emergencyReleaseLabel(breakId, clinician.id, clinician.fingerprint));
  } finally {
    raw.fill(0);
  }
}

/**
 * The clinician's browser: k released shares combined into the secret, the sealed private key
 * opened and imported non-extractable. Fails (DECRYPT_FAILED) with too few or wrong shares.
 */
export async function openEmergencyKey(
  clinicianPrivateKey: CryptoKey,
  released: Array<{ share: string }>,
  access: { breakId: string; clinicianId: string; clinicianFingerprint: string; patientId: string; publicKey: string; sealedPrivateKey: string },
): Promise<CryptoKey> {
  const fingerprint = await fingerprintHex(fromBase64Url(access.publicKey));
  const parts = await Promise.all(released.map((item) => rsaDecrypt(clinicianPrivateKey, item.share, emergencyReleaseLabel(access.breakId, access.clinicianId, access.clinicianFingerprint))));
  // k = 1: a share is the 32-byte secret itself; else 33-byte Shamir shares.
  const secret = parts[0].length === 32 ? parts[0].slice() : new Uint8Array(await combine(parts));
  try {
    const pkcs8 = await open(await importFileKey(secret), access.sealedPrivateKey, emergencyKeyAad(access.patientId, fingerprint));
    try {
      return await crypto.subtle.importKey('pkcs8', pkcs8, RSA_OAEP, false, ['decrypt']);
    } finally {
      pkcs8.fill(0);
    }
  } finally {
    secret.fill(0);
    parts.forEach((part) => part.fill(0));
  }
}

/** A file key opened with the emergency private key, non-extractable. */
export async function unwrapForEmergency(emergencyPrivateKey: CryptoKey, wrap: string, recordId: string, patientId: string, fingerprint: string): Promise<CryptoKey> {
  const raw = await rsaDecrypt(emergencyPrivateKey, wrap, emergencyWrapLabel(recordId, patientId, fingerprint));
  try {
    return await importFileKey(raw);
  } finally {
    raw.fill(0);
  }
}

async function rsaEncrypt(publicKey: CryptoKey, plaintext: Uint8Array<ArrayBuffer>, label: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.encrypt({ ...RSA_OAEP, label: utf8(label) }, publicKey, plaintext)));
}

async function rsaDecrypt(privateKey: CryptoKey, ciphertext: string, label: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.decrypt({ ...RSA_OAEP, label: utf8(label) }, privateKey, fromBase64Url(ciphertext)));
}
