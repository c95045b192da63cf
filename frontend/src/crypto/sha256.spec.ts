import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { toHex, utf8 } from './encoding.js';
import { Sha256 } from './sha256.js';

const subtleHex = async (bytes: Uint8Array<ArrayBuffer>) => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));

describe('incremental SHA-256 (the export’s per-record hash)', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(new Sha256().digestHex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(utf8('abc')).digestHex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256().update(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).digestHex()).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    const million = new Sha256();
    for (let i = 0; i < 1000; i++) million.update(utf8('a'.repeat(1000)));
    expect(million.digestHex()).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('equals WebCrypto’s digest of the whole input however the input is split', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 700 }), fc.array(fc.nat(700), { maxLength: 6 }), async (bytes, cuts) => {
        const hash = new Sha256();
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        let start = 0;
        for (const point of [...points, bytes.length]) {
          hash.update(bytes.subarray(start, point));
          start = point;
        }
        expect(hash.digestHex()).toBe(await subtleHex(new Uint8Array(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it('hashes inputs of every length around the padding boundary like Node', () => {
    for (let length = 0; length <= 130; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      expect(new Sha256().update(bytes).digestHex()).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('refuses input after the digest was taken', () => {
    const hash = new Sha256();
    hash.digestHex();
    expect(() => hash.update(utf8('late'))).toThrow('already finished');
    expect(() => hash.digestHex()).toThrow('already finished');
  });
});
