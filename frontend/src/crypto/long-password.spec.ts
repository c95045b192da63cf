/**
 * ASVS 2.1.2 and 2.1.4: any length and any printable Unicode character. The
 * whole password (NFKC-normalised) goes into PBKDF2: nothing is cut off,
 * nothing is refused.
 */
import { describe, expect, it } from '@jest/globals';
import { createAccount, unlockKeys } from './account.js';
import { derivePasswordKeys } from './kdf.js';

const FAST = { iterations: 1000, policy: { minIterations: 1 } };

/** 100+ characters: letters beyond ASCII, CJK, right-to-left script, spaces and emoji (surrogate pairs) to the very end. */
const LONG = 'Ünïcödé façade Øresund 東京の夜 مرحبا بالعالم Ελληνικά ñandú 🌙 🔐 '.repeat(2) + 'çà et là 🩺';

describe('long Unicode passwords', () => {
  it('is over 100 characters, with spaces, non-ASCII letters and emoji', () => {
    expect([...LONG].length).toBeGreaterThan(100);
    expect(LONG).toMatch(/ /);
    expect([...LONG].some((character) => (character.codePointAt(0) ?? 0) > 0x7f)).toBe(true);
    expect(LONG).toMatch(/\p{Extended_Pictographic}$/u);
  });

  it('opens the account with the whole password, and not with one that differs only in its last character', async () => {
    const account = await createAccount(LONG, FAST);
    const right = await derivePasswordKeys(LONG, account.kdf, FAST.policy);
    expect(right.authKey).toBe(account.authKey);
    await expect(unlockKeys(right.kek, { kdf: account.kdf, ...account.keys })).resolves.toBeDefined();

    // The last emoji swapped for another: only the final UTF-16 code unit differs.
    const lastSwapped = LONG.slice(0, -1) + String.fromCharCode(LONG.charCodeAt(LONG.length - 1) + 1);
    const wrong = await derivePasswordKeys(lastSwapped, account.kdf, FAST.policy);
    expect(wrong.authKey).not.toBe(account.authKey);
    await expect(unlockKeys(wrong.kek, { kdf: account.kdf, ...account.keys })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('does not cut the password at 64, 72, 100 or 128 characters', async () => {
    const account = await createAccount(LONG, FAST);
    for (const length of [64, 72, 100, 128]) {
      const prefix = [...LONG].slice(0, length).join('');
      expect(prefix).not.toBe(LONG);
      expect((await derivePasswordKeys(prefix, account.kdf, FAST.policy)).authKey).not.toBe(account.authKey);
    }
  });

  it('treats the same text typed in another Unicode form as the same password (NFKC)', async () => {
    expect(LONG.normalize('NFD')).not.toBe(LONG.normalize('NFC'));
    const account = await createAccount(LONG.normalize('NFC'), FAST);
    expect((await derivePasswordKeys(LONG.normalize('NFD'), account.kdf, FAST.policy)).authKey).toBe(account.authKey);
  });
});
