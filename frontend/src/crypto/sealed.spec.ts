import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PROTOCOL_VERSION } from '@phr/shared-types';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { CryptoError } from './errors.js';
import { open, seal } from './sealed.js';

const newKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

describe('sealed blobs', () => {
  it('start with the protocol version and a 12-byte IV, and differ every time', async () => {
    const key = await newKey();
    const a = fromBase64Url(await seal(key, Uint8Array.of(1, 2, 3), 'aad'));
    const b = fromBase64Url(await seal(key, Uint8Array.of(1, 2, 3), 'aad'));
    expect(a[0]).toBe(PROTOCOL_VERSION);
    expect(a).toHaveLength(1 + 12 + 3 + 16);
    expect(toBase64Url(a)).not.toBe(toBase64Url(b));
  });

  it('round-trip any plaintext under any authenticated data', async () => {
    const key = await newKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.string(), async (plaintext, aad) => {
        expect(await open(key, await seal(key, plaintext, aad), aad)).toEqual(plaintext);
      }),
      { numRuns: 60 },
    );
  });

  it('fail to open under another key', async () => {
    const [key, other] = await Promise.all([newKey(), newKey()]);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (plaintext) => {
        await expect(open(other, await seal(key, plaintext, 'x'), 'x')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
      }),
      { numRuns: 20 },
    );
  });

  it('fail to open with other authenticated data (a wrap moved to another purpose)', async () => {
    const key = await newKey();
    await expect(open(key, await seal(key, Uint8Array.of(7), 'phr/v1/private-key'), 'phr/v1/account-key')).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
    });
  });

  it('fail to open when any bit is flipped', async () => {
    const key = await newKey();
    const blob = fromBase64Url(await seal(key, new Uint8Array(40).fill(9), 'aad'));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: blob.length * 8 - 1 }), async (bit) => {
        const tampered = blob.slice();
        tampered[bit >> 3] ^= 1 << (bit & 7);
        await expect(open(key, toBase64Url(tampered), 'aad')).rejects.toBeInstanceOf(CryptoError);
      }),
      { numRuns: 150 },
    );
  });

  it('refuse an unknown version and a blob too short to hold a tag, with distinct codes', async () => {
    const key = await newKey();
    const blob = fromBase64Url(await seal(key, Uint8Array.of(1), 'aad'));
    blob[0] = 2;
    await expect(open(key, toBase64Url(blob), 'aad')).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    await expect(open(key, toBase64Url(blob.subarray(0, 20)), 'aad')).rejects.toMatchObject({ code: 'MALFORMED_BLOB' });
    await expect(open(key, 'not base64url!', 'aad')).rejects.toMatchObject({ code: 'MALFORMED_BLOB' });
  });
});
