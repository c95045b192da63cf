/**
 * The vault's side of account-key rotation (docs/protocol.md "Account-key
 * rotation"), driven through the dispatcher as the page drives the worker:
 * start, re-seal in batches, resume after a "reload" (a fresh vault signed in
 * with the server's pending wraps), finish, and what each key opens afterwards.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { MyKeys, PendingKeyRotation, StartKeyRotationRequest } from '@phr/shared-types';
import { emptyClientState, openClientState, sealClientState } from './client-state.js';
import { fromBase64Url } from './encoding.js';
import { accountKeyAad, derivePasswordKeys } from './kdf.js';
import type { ResealedBatch } from './key-rotation.js';
import { deriveRecoveryKeys, parseRecoveryCode, RECOVERY_WRAP_AAD } from './recovery-code.js';
import { openFolderName, openOwnerWrap, sealFolderName, wrapForOwner } from './record-keys.js';
import { open, seal } from './sealed.js';
import { handleVaultRequest, newVaultState, type CreatedAccount, type VaultResponse, type VaultState } from './vault-protocol.js';

const FAST = { iterations: 1000, policy: { minIterations: 1 } };
const PASSWORD = 'rotation passphrase';
const OWNER = '3f1c2a4e-8b7d-4c6e-9a5b-1d2e3f4a5b6c';
let nextId = 1;

async function call(state: VaultState, method: string, ...params: unknown[]): Promise<VaultResponse> {
  return handleVaultRequest(state, { id: nextId++, method, params });
}

async function result<T>(state: VaultState, method: string, ...params: unknown[]): Promise<T> {
  const response = await call(state, method, ...params);
  if (!response.ok) throw new Error(`${method} failed: ${response.error.code} ${response.error.message}`);
  return response.result as T;
}

/** A browser that signs in with these blobs (a reload, or another device). */
async function signedIn(keys: MyKeys): Promise<VaultState> {
  const state = newVaultState(FAST);
  await result(state, 'deriveLogin', PASSWORD, keys.kdf);
  await result(state, 'unlock', keys);
  return state;
}

/** The raw account key the password opens from a wrap, to check what each key opens. */
async function rawAccountKey(keys: Pick<MyKeys, 'kdf'>, wrappedAccountKey: string): Promise<CryptoKey> {
  const { kek } = await derivePasswordKeys(PASSWORD, keys.kdf, FAST.policy);
  const raw = await open(kek, wrappedAccountKey, accountKeyAad(keys.kdf));
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

describe('account-key rotation in the vault', () => {
  let state: VaultState;
  let keys: MyKeys;
  let oldKey: CryptoKey;
  const fileKeys = ['a', 'b', 'c'].map((letter) => ({ recordId: `0000000${letter}-0000-4000-8000-000000000000`, raw: crypto.getRandomValues(new Uint8Array(32)) }));
  let rows: { ownerWraps: Array<{ recordId: string; wrap: string }>; folders: Array<{ folderId: string; name: string }> };

  beforeEach(async () => {
    state = newVaultState(FAST);
    const created = await result<CreatedAccount>(state, 'createAccount', PASSWORD);
    keys = { kdf: created.kdf, ...created.keys, fingerprint: created.fingerprint, keyGeneration: 1 };
    oldKey = await rawAccountKey(keys, keys.wrappedAccountKey);
    rows = {
      ownerWraps: await Promise.all(fileKeys.map(async ({ recordId, raw }) => ({ recordId, wrap: await wrapForOwner(oldKey, raw, recordId, OWNER) }))),
      folders: [{ folderId: '0000000f-0000-4000-8000-000000000000', name: await sealFolderName(oldKey, OWNER, 'Lab results') }],
    };
  });

  async function started(vault: VaultState): Promise<{ request: StartKeyRotationRequest; pending: PendingKeyRotation; newKey: CryptoKey }> {
    const request = await result<StartKeyRotationRequest>(vault, 'startKeyRotation', PASSWORD);
    await result(vault, 'beginKeyRotation', 2);
    return { request, pending: { generation: 2, wrappedAccountKey: request.wrappedAccountKey, wrappedPrivateKey: request.wrappedPrivateKey }, newKey: await rawAccountKey(keys, request.wrappedAccountKey) };
  }

  it('starts with the current password: a new key under the same KEK, the same private key under it, the auth key to re-authenticate', async () => {
    const wrong = await call(state, 'startKeyRotation', 'not the password');
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WRONG_PASSWORD' } });
    const { request, newKey } = await started(state);
    expect(request.currentAuthKey).toBe((await derivePasswordKeys(PASSWORD, keys.kdf, FAST.policy)).authKey);
    expect(request.wrappedAccountKey).not.toBe(keys.wrappedAccountKey);
    const oldPkcs8 = await open(oldKey, keys.wrappedPrivateKey, 'phr/v1/private-key');
    expect(await open(newKey, request.wrappedPrivateKey, 'phr/v1/private-key')).toEqual(oldPkcs8);
    // Names the key pair it re-sealed, so the server refuses a pair the account has since replaced.
    expect(request.fingerprint).toBe(keys.fingerprint);
    await expect(open(oldKey, request.wrappedPrivateKey, 'phr/v1/private-key')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    expect(await result(state, 'keyGeneration')).toBe(2);
    // The page receives blobs, the auth key and a fingerprint only, never a raw key.
    expect(Object.keys(request).sort()).toEqual(['currentAuthKey', 'fingerprint', 'wrappedAccountKey', 'wrappedPrivateKey']);
  });

  it('re-seals rows from the old key to the new, and still opens both kinds while the rotation is under way', async () => {
    const { newKey } = await started(state);
    const batch = await result<ResealedBatch>(state, 'resealForRotation', OWNER, { ownerWraps: rows.ownerWraps.slice(0, 2), folders: rows.folders });
    expect(batch.unreadable).toEqual([]);
    for (const [i, row] of batch.ownerWraps.entries()) {
      expect(await openOwnerWrap(newKey, row.wrap, row.recordId, OWNER)).toEqual(fileKeys[i].raw);
      await expect(openOwnerWrap(oldKey, row.wrap, row.recordId, OWNER)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
    expect(await openFolderName(newKey, OWNER, batch.folders[0].name)).toBe('Lab results');
    // Mid-rotation the vault opens a re-sealed name and one not yet re-sealed; a new name is sealed under the new key.
    const names = await result<Array<{ name: string }>>(state, 'openFolderNames', OWNER, [
      { id: 'x', name: batch.folders[0].name, createdAt: '' },
      { id: 'y', name: rows.folders[0].name, createdAt: '' },
    ]);
    expect(names.map((entry) => entry.name)).toEqual(['Lab results', 'Lab results']);
    const fresh = await result<string>(state, 'sealFolderName', OWNER, 'Scans');
    expect(await openFolderName(newKey, OWNER, fresh)).toBe('Scans');
  });

  it('resumes after a reload from the server’s pending wraps: a row re-sealed before is sent as it is, the rest re-sealed', async () => {
    const { pending, newKey } = await started(state);
    const first = await result<ResealedBatch>(state, 'resealForRotation', OWNER, { ownerWraps: rows.ownerWraps.slice(0, 1), folders: [] });

    const reloaded = await signedIn({ ...keys, rotation: pending });
    expect(await result(reloaded, 'isRotatingKey')).toBe(true);
    expect(await result(reloaded, 'keyGeneration')).toBe(2);
    // The first row's answer was lost: the server still lists it, under the new key now.
    const listed = [first.ownerWraps[0], ...rows.ownerWraps.slice(1)];
    const batch = await result<ResealedBatch>(reloaded, 'resealForRotation', OWNER, { ownerWraps: listed, folders: rows.folders });
    expect(batch.unreadable).toEqual([]);
    expect(batch.ownerWraps[0].wrap).toBe(first.ownerWraps[0].wrap);
    for (const [i, row] of batch.ownerWraps.entries()) expect(await openOwnerWrap(newKey, row.wrap, row.recordId, OWNER)).toEqual(fileKeys[i].raw);
  });

  it('reports a row that opens under neither key instead of skipping it', async () => {
    await started(state);
    const stranger = crypto.getRandomValues(new Uint8Array(32));
    const strangerKey = await crypto.subtle.importKey('raw', stranger, 'AES-GCM', false, ['encrypt']);
    const forged = await wrapForOwner(strangerKey, fileKeys[0].raw, fileKeys[0].recordId, OWNER);
    const moved = rows.ownerWraps[1].wrap; // a real wrap, moved to another record: its AAD no longer matches
    const batch = await result<ResealedBatch>(state, 'resealForRotation', OWNER, {
      ownerWraps: [{ recordId: fileKeys[0].recordId, wrap: forged }, { recordId: fileKeys[2].recordId, wrap: moved }, rows.ownerWraps[2]],
      folders: [],
    });
    expect(batch.unreadable).toEqual([
      { kind: 'ownerWrap', recordId: fileKeys[0].recordId },
      { kind: 'ownerWrap', recordId: fileKeys[2].recordId },
    ]);
    expect(batch.ownerWraps.map((row) => row.recordId)).toEqual([fileKeys[2].recordId]);
  });

  it('refuses a pending rotation whose private key is not the account’s own', async () => {
    const { pending, newKey } = await started(state);
    // The server's own key pair, sealed under the very new key the password opens: only the same-key check stops it.
    const swapped = await crypto.subtle.generateKey({ name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['encrypt', 'decrypt']);
    const swappedPkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', swapped.privateKey));
    const reloaded = newVaultState(FAST);
    await result(reloaded, 'deriveLogin', PASSWORD, keys.kdf);
    const refused = await call(reloaded, 'unlock', { ...keys, rotation: { ...pending, wrappedPrivateKey: await seal(newKey, swappedPkcs8, 'phr/v1/private-key') } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ROTATION_KEY_MISMATCH' } });
    expect(await result(reloaded, 'isUnlocked')).toBe(false);
  });

  it('finishes with a new recovery code that opens the new key, re-seals the client state, and drops the old key', async () => {
    const { pending, newKey } = await started(state);
    const stored = await sealClientState(oldKey, OWNER, { ...emptyClientState(), audit: { sequence: 4, hash: 'a'.repeat(64) } });
    const document = await result<ReturnType<typeof emptyClientState>>(state, 'openClientState', OWNER, stored);
    expect(document.audit?.sequence).toBe(4);
    const resealed = await result<string>(state, 'resealClientState', OWNER, document);
    expect((await openClientState(newKey, OWNER, resealed)).audit?.sequence).toBe(4);
    await expect(openClientState(oldKey, OWNER, resealed)).rejects.toMatchObject({ code: 'CLIENT_STATE_INVALID' });

    const { recovery, recoveryCode, generation } = await result<{ recovery: { recoveryWrappedAccountKey: string }; recoveryCode: string; generation: number }>(state, 'keyRotationRecovery');
    expect(generation).toBe(2);
    const { recoveryKek } = await deriveRecoveryKeys(parseRecoveryCode(recoveryCode));
    const recovered = await crypto.subtle.importKey('raw', await open(recoveryKek, recovery.recoveryWrappedAccountKey, RECOVERY_WRAP_AAD), 'AES-GCM', false, ['decrypt']);
    const probe = await sealFolderName(newKey, OWNER, 'probe');
    expect(await openFolderName(recovered, OWNER, probe)).toBe('probe');

    await result(state, 'confirmKeyRotation');
    expect(await result(state, 'isRotatingKey')).toBe(false);
    expect(state.keys?.retiringAccountKey).toBeUndefined();
    expect(state.account?.wrappedAccountKey).toBe(pending.wrappedAccountKey);
    // Rows still under the old key no longer open: the old key is gone from the vault.
    const names = await result<Array<{ name: string }>>(state, 'openFolderNames', OWNER, [{ id: 'y', name: rows.folders[0].name, createdAt: '' }]);
    expect(names[0].name).toBe('(name cannot be opened)');
    expect(await call(state, 'resealForRotation', OWNER, rows)).toMatchObject({ ok: false, error: { code: 'NO_KEY_ROTATION' } });
    // After the next sign-in with the new wraps, the vault holds the new key only.
    const after = await signedIn({ ...keys, wrappedAccountKey: pending.wrappedAccountKey, wrappedPrivateKey: pending.wrappedPrivateKey, keyGeneration: 2 });
    expect(await result(after, 'keyGeneration')).toBe(2);
    expect(fromBase64Url(pending.wrappedAccountKey).length).toBeGreaterThan(32);
  });
});
