import { hkdfSync, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { KDF_ALGORITHM, type KdfParams } from '@phr/shared-types';
import { fromBase64Url, toBase64Url, toHex } from './encoding.js';
import { checkKdfParams, derivePasswordKeys, hkdfBytes, importHkdfKey } from './kdf.js';

const FAST = { minIterations: 1 };

describe('key derivation (DESIGN 4.1)', () => {
  it('matches HKDF-SHA256 test case 3 of RFC 5869 (empty salt and info)', async () => {
    const base = await importHkdfKey(new Uint8Array(22).fill(0x0b));
    expect(toHex(await hkdfBytes(base, '', 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('derives a pinned auth key for a fixed password, salt and iteration count', async () => {
    const kdf: KdfParams = { algorithm: KDF_ALGORITHM, iterations: 1000, salt: 'AAECAwQFBgcICQoLDA0ODw' };
    const { authKey } = await derivePasswordKeys('correct horse battery staple', kdf, FAST);
    // Computed once with Python's hashlib (PBKDF2) and HMAC (HKDF), independently of this code.
    expect(authKey).toBe('e2LizRHYlcHKGPZebLcqL-79HyZHhur2tjYrOBRCpWM');
  });

  it("agrees with Node's own PBKDF2 and HKDF for any password and salt", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), async (password, salt) => {
        const kdf: KdfParams = { algorithm: KDF_ALGORITHM, iterations: 500, salt: toBase64Url(salt) };
        const master = pbkdf2Sync(Buffer.from(password.normalize('NFKC')), salt, 500, 32, 'sha256');
        const expected = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'phr/v1/auth', 32)).toString('base64url');
        expect((await derivePasswordKeys(password, kdf, FAST)).authKey).toBe(expected);
      }),
      { numRuns: 15 },
    );
  });

  it('gives different auth keys for different passwords and salts', async () => {
    const kdf: KdfParams = { algorithm: KDF_ALGORITHM, iterations: 1000, salt: 'AAECAwQFBgcICQoLDA0ODw' };
    const a = await derivePasswordKeys('password one', kdf, FAST);
    const b = await derivePasswordKeys('password two', kdf, FAST);
    const c = await derivePasswordKeys('password one', { ...kdf, salt: toBase64Url(new Uint8Array(16).fill(1)) }, FAST);
    expect(new Set([a.authKey, b.authKey, c.authKey]).size).toBe(3);
    expect(fromBase64Url(a.authKey)).toHaveLength(32);
  });

  it('refuses parameters below the browser floor of 600 000 iterations, or a salt that is not 16 bytes', () => {
    const good: KdfParams = { algorithm: KDF_ALGORITHM, iterations: 600_000, salt: 'AAECAwQFBgcICQoLDA0ODw' };
    expect(() => checkKdfParams(good, { minIterations: 600_000 })).not.toThrow();
    for (const bad of [
      { ...good, iterations: 599_999 },
      { ...good, iterations: 1.5e6 + 0.5 },
      { ...good, salt: 'AAECAw' },
      { ...good, algorithm: 'PBKDF2-SHA1' as typeof KDF_ALGORITHM },
    ]) {
      expect(() => checkKdfParams(bad, { minIterations: 600_000 })).toThrow(expect.objectContaining({ code: 'WEAK_KDF_PARAMETERS' }));
    }
  });
});
