import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { utf8 } from './encoding.js';
import { fingerprintHex, formatFingerprint } from './fingerprint.js';

describe('fingerprints (DESIGN 4.5)', () => {
  it('are the SHA-256 of the SPKI bytes, as the server computes them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (spki) => {
        expect(await fingerprintHex(spki)).toBe(createHash('sha256').update(spki).digest('hex'));
      }),
      { numRuns: 30 },
    );
  });

  it('read as 8 groups of 5 digits (pinned vector: SHA-256 of "test")', async () => {
    const hex = await fingerprintHex(utf8('test'));
    expect(hex).toBe('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    expect(formatFingerprint(hex)).toBe('12545 14213 31520 63061 23835 74508 60661 21224');
  });

  it('refuse anything that is not 64 lowercase hex digits', () => {
    expect(() => formatFingerprint('ABC')).toThrow();
  });
});
