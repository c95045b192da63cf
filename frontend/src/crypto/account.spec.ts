import { createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { MyKeys } from '@phr/shared-types';
import {
  createAccount,
  ownFingerprint,
  recoverAccount,
  recoveryAuthKeyFromCode,
  rewrapForNewPassword,
  unlockKeys,
  type NewAccount,
  type UnlockedKeys,
} from './account.js';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { derivePasswordKeys } from './kdf.js';
import { seal, open } from './sealed.js';

/** Property tests run PBKDF2 with few iterations; one test below runs the real floor. */
const FAST = { iterations: 1000, policy: { minIterations: 1 } };
const PASSWORD = 'a long and unusual passphrase';

function blobsOf(account: NewAccount): MyKeys {
  return { kdf: account.kdf, ...account.keys, fingerprint: account.fingerprint, keyGeneration: 1 };
}

async function signIn(password: string, keys: MyKeys): Promise<UnlockedKeys> {
  const { kek } = await derivePasswordKeys(password, keys.kdf, FAST.policy);
  return unlockKeys(kek, keys);
}

/** Proves two unlocked key sets are the same keys: what one seals, the other opens. */
async function expectSameKeys(a: UnlockedKeys, b: UnlockedKeys): Promise<void> {
  const sealed = await seal(a.accountKey, utf8('same account key'), 't');
  expect(new TextDecoder().decode(await open(b.accountKey, sealed, 't'))).toBe('same account key');
  const message = utf8('same key pair');
  const encrypted = await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, a.publicKey, message);
  expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, b.privateKey, encrypted))).toEqual(message);
}

describe('accounts (DESIGN 4.2)', () => {
  let account: NewAccount;

  beforeAll(async () => {
    account = await createAccount(PASSWORD, FAST);
  });

  it('makes an RSA-OAEP key pair of 3072 bits whose fingerprint is the SHA-256 of its SPKI', async () => {
    const key = createPublicKey({ key: Buffer.from(fromBase64Url(account.keys.publicKey)), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
    const { createHash } = await import('node:crypto');
    expect(account.fingerprint).toBe(createHash('sha256').update(fromBase64Url(account.keys.publicKey)).digest('hex'));
  });

  it('keeps the unwrapped keys non-extractable', async () => {
    expect(account.unlocked.accountKey.extractable).toBe(false);
    expect(account.unlocked.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', account.unlocked.accountKey)).rejects.toThrow();
  });

  it('sends an auth key that is not the password and does not reveal it', () => {
    expect(fromBase64Url(account.authKey)).toHaveLength(32);
    expect(JSON.stringify({ ...account, unlocked: undefined })).not.toContain(PASSWORD);
  });

  it('signs in again with the password: the same account key and private key come back', async () => {
    await expectSameKeys(account.unlocked, await signIn(PASSWORD, blobsOf(account)));
  });

  it('refuses a wrong password', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 30 }).filter((guess) => guess !== PASSWORD), async (guess) => {
        await expect(signIn(guess, blobsOf(account))).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
      }),
      { numRuns: 8 },
    );
  });

  it('fails to unwrap when a server hands out other KDF parameters (they are authenticated data)', async () => {
    const keys = blobsOf(account);
    const weaker = { ...keys, kdf: { ...keys.kdf, iterations: keys.kdf.iterations - 1 } };
    // Same password, same salt, one iteration fewer: a different KEK, and the parameters no longer match the wrap.
    await expect(signIn(PASSWORD, weaker)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('detects any flipped bit in any wrapped key', async () => {
    const keys = blobsOf(account);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('wrappedAccountKey', 'wrappedPrivateKey') , fc.nat(), async (field, position) => {
        const blob = fromBase64Url(keys[field]);
        const bit = position % (blob.length * 8);
        blob[bit >> 3] ^= 1 << (bit & 7);
        await expect(signIn(PASSWORD, { ...keys, [field]: toBase64Url(blob) })).rejects.toHaveProperty('code');
      }),
      { numRuns: 20 },
    );
  });

  it('refuses the sign-in when the server serves another account’s public key (DESIGN 4.5)', async () => {
    const other = await createAccount('another passphrase', FAST);
    const swapped = { ...blobsOf(account), publicKey: other.keys.publicKey, fingerprint: other.fingerprint };
    await expect(signIn(PASSWORD, swapped)).rejects.toMatchObject({ code: 'OWN_KEY_MISMATCH' });
  });

  it('refuses the sign-in when the served public key is not an RSA key at all', async () => {
    for (const publicKey of ['', toBase64Url(utf8('not a key')), '***']) {
      await expect(signIn(PASSWORD, { ...blobsOf(account), publicKey })).rejects.toMatchObject({ code: 'OWN_KEY_MISMATCH' });
    }
  });

  it('computes the account’s own fingerprint from the key proven at sign-in', async () => {
    const unlocked = await signIn(PASSWORD, { ...blobsOf(account), fingerprint: 'f'.repeat(64) });
    expect(await ownFingerprint(unlocked)).toBe(account.fingerprint);
  });

  it('changes the password by re-wrapping the account key only: new password in, old one out, same keys', async () => {
    const change = await rewrapForNewPassword({ password: PASSWORD, kdf: account.kdf, wrappedAccountKey: account.keys.wrappedAccountKey }, 'the new passphrase', FAST);
    expect(change.currentAuthKey).toBe(account.authKey);
    expect(change.newKdf.salt).not.toBe(account.kdf.salt);
    const after: MyKeys = { ...blobsOf(account), kdf: change.newKdf, wrappedAccountKey: change.newWrappedAccountKey };
    await expectSameKeys(account.unlocked, await signIn('the new passphrase', after));
    await expect(signIn(PASSWORD, after)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    expect((await derivePasswordKeys('the new passphrase', change.newKdf, FAST.policy)).authKey).toBe(change.newAuthKey);
  });

  it('refuses to change the password without the current one', async () => {
    await expect(
      rewrapForNewPassword({ password: 'wrong', kdf: account.kdf, wrappedAccountKey: account.keys.wrappedAccountKey }, 'x', FAST),
    ).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('recovers with the code: a new password and a new code open the same keys, the old code proves nothing new', async () => {
    expect(await recoveryAuthKeyFromCode(account.recoveryCode.toLowerCase())).toBe(account.recovery.recoveryAuthKey);
    const recovered = await recoverAccount(account.recoveryCode, account.recovery.recoveryWrappedAccountKey, 'recovered passphrase', FAST);
    const after: MyKeys = { ...blobsOf(account), kdf: recovered.reset.newKdf, wrappedAccountKey: recovered.reset.newWrappedAccountKey };
    await expectSameKeys(account.unlocked, await signIn('recovered passphrase', after));
    expect(recovered.newRecoveryCode).not.toBe(account.recoveryCode);
    expect(await recoveryAuthKeyFromCode(recovered.newRecoveryCode)).toBe(recovered.reset.newRecovery.recoveryAuthKey);
    // The new code opens the new recovery wrap, and it holds the same account key.
    const again = await recoverAccount(recovered.newRecoveryCode, recovered.reset.newRecovery.recoveryWrappedAccountKey, 'third passphrase', FAST);
    await expectSameKeys(account.unlocked, await signIn('third passphrase', { ...after, kdf: again.reset.newKdf, wrappedAccountKey: again.reset.newWrappedAccountKey }));
  });

  it('refuses recovery with a wrong code', async () => {
    const other = '0000-0000-0000-0000-0000-0000-0000-0000';
    await expect(recoverAccount(other, account.recovery.recoveryWrappedAccountKey, 'x', FAST)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('works at the real floor of 600 000 PBKDF2 iterations', async () => {
    const real = await createAccount(PASSWORD);
    expect(real.kdf.iterations).toBe(600_000);
    const { kek } = await derivePasswordKeys(PASSWORD, real.kdf);
    await expectSameKeys(real.unlocked, await unlockKeys(kek, blobsOf(real)));
  });
});
