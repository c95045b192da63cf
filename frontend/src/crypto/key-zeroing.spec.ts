/**
 * ASVS 8.3.6: raw key bytes are overwritten as soon as WebCrypto holds them as
 * a non-extractable key (importKey copies its input) or has sealed them. The
 * spies keep a reference to every buffer handed to WebCrypto, so the test
 * sees the very bytes the code held. Strings (the password as typed, the
 * base64url auth key) cannot be overwritten in JavaScript: out of reach here.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RECORD_CHUNK_BYTES } from '@phr/shared-types';
import { createAccount, recoverAccount, rewrapForNewPassword, unlockKeys, type NewAccount } from './account.js';
import { deriveMasterKey, derivePasswordKeys, newKdfParams } from './kdf.js';
import { newFileKey, openMetadata, sealMetadata, unwrapForDoctor, unwrapForOwner, wrapForDoctor, wrapForOwner } from './record-keys.js';
import { handleVaultRequest, newVaultState, type VaultResponse, type VaultState } from './vault-protocol.js';

const FAST = { iterations: 1000, policy: { minIterations: 1 } };
const PASSWORD = 'zeroing passphrase';

interface Handed {
  /** importKey's format, or "encrypt" for a plaintext sealed. */
  use: string;
  algorithm: string;
  bytes: Uint8Array;
}

let handed: Handed[] = [];

// Buffers made by Node's own TextEncoder or WebCrypto may come from another realm than the test's Uint8Array.
const isBytes = (value: unknown): value is Uint8Array => ArrayBuffer.isView(value) && (value as Uint8Array).BYTES_PER_ELEMENT === 1;

function algorithmName(algorithm: unknown): string {
  return typeof algorithm === 'string' ? algorithm : String((algorithm as { name: string }).name);
}

/** Watches what is handed to WebCrypto from now on, calling through to it. */
function watchWebCrypto(): void {
  jest.restoreAllMocks();
  handed = [];
  const subtle = crypto.subtle;
  const importKey = subtle.importKey.bind(subtle) as (...args: unknown[]) => Promise<CryptoKey>;
  const encrypt = subtle.encrypt.bind(subtle) as (...args: unknown[]) => Promise<ArrayBuffer>;
  jest.spyOn(subtle, 'importKey').mockImplementation(((...args: unknown[]) => {
    const [format, keyData, algorithm] = args;
    if (isBytes(keyData)) handed.push({ use: String(format), algorithm: algorithmName(algorithm), bytes: keyData });
    return importKey(...args);
  }) as typeof subtle.importKey);
  jest.spyOn(subtle, 'encrypt').mockImplementation((...args: unknown[]) => {
    const [algorithm, , data] = args;
    if (isBytes(data)) handed.push({ use: 'encrypt', algorithm: algorithmName(algorithm), bytes: data });
    return encrypt(...args);
  });
}

function handedAs(use: string, algorithm: string): Uint8Array[] {
  return handed.filter((entry) => entry.use === use && entry.algorithm === algorithm).map((entry) => entry.bytes);
}

const isZeroed = (bytes: Uint8Array) => bytes.length > 0 && bytes.every((byte) => byte === 0);

describe('raw key bytes are zeroed after use', () => {
  let account: NewAccount;

  beforeEach(async () => {
    account = await createAccount(PASSWORD, FAST);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('zeroes the password bytes and the PBKDF2 output once imported, and still derives the same keys', async () => {
    const kdf = newKdfParams(FAST.iterations);
    const before = await derivePasswordKeys(PASSWORD, kdf, FAST.policy);
    watchWebCrypto();
    await deriveMasterKey(PASSWORD, kdf, FAST.policy);
    const [passwordBytes] = handedAs('raw', 'PBKDF2');
    const [masterBits] = handedAs('raw', 'HKDF');
    expect(passwordBytes).toHaveLength(new TextEncoder().encode(PASSWORD).length);
    expect(masterBits).toHaveLength(32);
    expect([passwordBytes, masterBits].map(isZeroed)).toEqual([true, true]);
    jest.restoreAllMocks();
    expect((await derivePasswordKeys(PASSWORD, kdf, FAST.policy)).authKey).toBe(before.authKey);
  });

  it('zeroes the new account key and the private key’s PKCS#8 when an account is made', async () => {
    watchWebCrypto();
    const made = await createAccount(PASSWORD, FAST);
    const accountKeyBytes = handedAs('raw', 'AES-GCM');
    const pkcs8 = handedAs('pkcs8', 'RSA-OAEP');
    expect(accountKeyBytes).toHaveLength(1);
    expect(pkcs8).toHaveLength(1);
    expect([...accountKeyBytes, ...pkcs8].map(isZeroed)).toEqual([true, true]);
    // The sealed copies hold the real key: the wraps open again.
    jest.restoreAllMocks();
    const { kek } = await derivePasswordKeys(PASSWORD, made.kdf, FAST.policy);
    await expect(unlockKeys(kek, { kdf: made.kdf, ...made.keys })).resolves.toBeDefined();
  });

  it('zeroes the account key and the private key opened at sign-in, and the keys it returns still work', async () => {
    const { kek } = await derivePasswordKeys(PASSWORD, account.kdf, FAST.policy);
    watchWebCrypto();
    const unlocked = await unlockKeys(kek, { kdf: account.kdf, ...account.keys });
    const opened = [...handedAs('raw', 'AES-GCM'), ...handedAs('pkcs8', 'RSA-OAEP')];
    expect(opened).toHaveLength(2);
    expect(opened.map(isZeroed)).toEqual([true, true]);
    jest.restoreAllMocks();
    const recordId = randomUUID();
    const fileKey = await newFileKey();
    const wrap = await wrapForOwner(unlocked.accountKey, fileKey.raw, recordId, 'owner');
    await expect(unwrapForOwner(account.unlocked.accountKey, wrap, recordId, 'owner')).resolves.toBeDefined();
  });

  it('zeroes the account key after re-wrapping it for a new password, and after a recovery', async () => {
    watchWebCrypto();
    await rewrapForNewPassword({ password: PASSWORD, kdf: account.kdf, wrappedAccountKey: account.keys.wrappedAccountKey }, 'another passphrase', FAST);
    const rewrapped = handedAs('encrypt', 'AES-GCM');
    expect(rewrapped).toHaveLength(1);
    expect(isZeroed(rewrapped[0])).toBe(true);

    watchWebCrypto();
    await recoverAccount(account.recoveryCode, account.recovery.recoveryWrappedAccountKey, 'recovered passphrase', FAST);
    const resealed = handedAs('encrypt', 'AES-GCM');
    // Sealed twice: under the new password's KEK and under the new recovery code's.
    expect(resealed).toHaveLength(2);
    expect(resealed.map(isZeroed)).toEqual([true, true]);
  });

  it('zeroes a file key opened from the owner’s wrap or a doctor’s wrap, and the key still opens the record', async () => {
    const recordId = randomUUID();
    const fileKey = await newFileKey();
    const sealed = await sealMetadata(fileKey.key, recordId, { fileName: 'a.pdf', mimeType: 'application/pdf', title: 'A', date: '2026-01-01', category: 'other', notes: '' });
    const ownerWrap = await wrapForOwner(account.unlocked.accountKey, fileKey.raw, recordId, 'owner');
    const doctor = await createAccount('doctor passphrase', FAST);
    const doctorWrap = await wrapForDoctor(doctor.unlocked.publicKey, fileKey.raw, recordId, 'doctor', doctor.fingerprint);

    watchWebCrypto();
    const asOwner = await unwrapForOwner(account.unlocked.accountKey, ownerWrap, recordId, 'owner');
    const asDoctor = await unwrapForDoctor(doctor.unlocked.privateKey, doctorWrap, recordId, 'doctor', doctor.fingerprint);
    const opened = handedAs('raw', 'AES-GCM');
    expect(opened).toHaveLength(2);
    expect(opened.map(isZeroed)).toEqual([true, true]);
    jest.restoreAllMocks();
    await expect(openMetadata(asOwner, recordId, sealed)).resolves.toMatchObject({ fileName: 'a.pdf' });
    await expect(openMetadata(asDoctor, recordId, sealed)).resolves.toMatchObject({ fileName: 'a.pdf' });
  });

  describe('in the crypto worker', () => {
    let state: VaultState;
    let nextId = 1;
    const call = (method: string, ...params: unknown[]): Promise<VaultResponse> => handleVaultRequest(state, { id: nextId++, method, params });

    beforeEach(async () => {
      state = newVaultState(FAST);
      expect((await call('createAccount', PASSWORD)).ok).toBe(true);
    });

    async function beginRecord(): Promise<{ recordId: string; rawKey: Uint8Array }> {
      const recordId = randomUUID();
      expect((await call('beginRecord', recordId, new Blob([new Uint8Array(1000).fill(7)]), RECORD_CHUNK_BYTES)).ok).toBe(true);
      const rawKey = state.pendingRecords.get(recordId)?.rawKey;
      if (!rawKey) throw new Error('no pending record');
      expect(isZeroed(rawKey)).toBe(false);
      return { recordId, rawKey };
    }

    it('zeroes a pending file key when the record is finished', async () => {
      const { recordId, rawKey } = await beginRecord();
      const metadata = { fileName: 'b.pdf', mimeType: 'application/pdf', title: 'B', date: '2026-01-01', category: 'other' as const, notes: '' };
      expect((await call('finishRecord', recordId, 'owner', metadata)).ok).toBe(true);
      expect(isZeroed(rawKey)).toBe(true);
    });

    it('zeroes a pending file key when the upload is cancelled', async () => {
      const { recordId, rawKey } = await beginRecord();
      expect((await call('cancelRecord', recordId)).ok).toBe(true);
      expect(isZeroed(rawKey)).toBe(true);
    });

    it('zeroes every pending file key on lock (sign-out, idle lock)', async () => {
      const first = await beginRecord();
      const second = await beginRecord();
      expect((await call('lock')).ok).toBe(true);
      expect([first.rawKey, second.rawKey].map(isZeroed)).toEqual([true, true]);
      expect(state.pendingRecords.size).toBe(0);
    });
  });
});
