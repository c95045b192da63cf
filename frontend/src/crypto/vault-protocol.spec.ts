import { beforeEach, describe, expect, it } from '@jest/globals';
import type { MyKeys } from '@phr/shared-types';
import { handleVaultRequest, newVaultState, type CreatedAccount, type VaultResponse, type VaultState } from './vault-protocol.js';

const FAST = { iterations: 1000, policy: { minIterations: 1 } };
let nextId = 1;

async function call(state: VaultState, method: string, ...params: unknown[]): Promise<VaultResponse> {
  return handleVaultRequest(state, { id: nextId++, method, params });
}

async function result<T>(state: VaultState, method: string, ...params: unknown[]): Promise<T> {
  const response = await call(state, method, ...params);
  if (!response.ok) throw new Error(`${method} failed: ${response.error.code}`);
  return response.result as T;
}

describe('the vault dispatcher (the crypto worker’s logic)', () => {
  let state: VaultState;
  let created: CreatedAccount;
  let keys: MyKeys;

  beforeEach(async () => {
    state = newVaultState(FAST);
    created = await result<CreatedAccount>(state, 'createAccount', 'vault passphrase');
    keys = { kdf: created.kdf, ...created.keys, fingerprint: created.fingerprint, keyGeneration: 1 };
  });

  it('is unlocked after creating an account and returns nothing but public values and blobs', async () => {
    expect(await result(state, 'isUnlocked')).toBe(true);
    expect(Object.keys(created).sort()).toEqual(['authKey', 'fingerprint', 'kdf', 'keys', 'recovery', 'recoveryCode']);
  });

  it('signs in in two steps and refuses an unlock without the first', async () => {
    const fresh = newVaultState(FAST);
    const refused = await call(fresh, 'unlock', keys);
    expect(refused).toMatchObject({ ok: false, error: { code: 'NO_PENDING_LOGIN' } });
    expect(await result(fresh, 'deriveLogin', 'vault passphrase', keys.kdf)).toBe(created.authKey);
    await result(fresh, 'unlock', keys);
    expect(await result(fresh, 'isUnlocked')).toBe(true);
  });

  it('drops every key on lock: a later change of password fails with LOCKED', async () => {
    await result(state, 'lock');
    expect(await result(state, 'isUnlocked')).toBe(false);
    expect(state.keys).toBeNull();
    expect(await call(state, 'changePassword', 'vault passphrase', 'new one')).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
  });

  it('keeps the new wrap only once the server confirmed the password change', async () => {
    const change = await result<{ newWrappedAccountKey: string }>(state, 'changePassword', 'vault passphrase', 'second passphrase');
    expect(state.account?.wrappedAccountKey).toBe(created.keys.wrappedAccountKey);
    await result(state, 'confirmPasswordChange');
    expect(state.account?.wrappedAccountKey).toBe(change.newWrappedAccountKey);
    // A second change in the same session starts from the new password.
    expect((await call(state, 'changePassword', 'second passphrase', 'third passphrase')).ok).toBe(true);
  });

  it('proves the current password for an erasure with the auth key the server stores, and only while unlocked', async () => {
    expect(await result(state, 'currentAuthKey', 'vault passphrase')).toBe(created.authKey);
    expect(await result(state, 'currentAuthKey', 'not the passphrase')).not.toBe(created.authKey);
    await result(state, 'lock');
    expect(await call(state, 'currentAuthKey', 'vault passphrase')).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
  });

  it('answers errors with a code and a message only, never key material', async () => {
    const wrong = await call(state, 'changePassword', 'not the passphrase', 'x');
    expect(wrong).toEqual({ id: expect.any(Number), ok: false, error: { code: 'DECRYPT_FAILED', message: expect.any(String) } });
    expect(JSON.stringify(wrong)).not.toContain(created.authKey);
  });

  it('refuses unknown methods, including ones inherited from Object', async () => {
    expect(await call(state, 'exportKeys')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await call(state, 'constructor')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it('unlocks after recovery with the keys the server returns', async () => {
    await result(state, 'lock');
    const reset = await result<{ newKdf: MyKeys['kdf']; newWrappedAccountKey: string }>(state, 'recover', created.recoveryCode, created.recovery.recoveryWrappedAccountKey, 'after recovery');
    await result(state, 'unlock', { ...keys, kdf: reset.newKdf, wrappedAccountKey: reset.newWrappedAccountKey });
    expect(await result(state, 'isUnlocked')).toBe(true);
  });
});
