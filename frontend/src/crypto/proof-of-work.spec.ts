import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { leadingZeroBits, proofOfWorkMessage, PROOF_OF_WORK_NONCE_PATTERN } from '@phr/shared-types';
import { CryptoError } from './errors.js';
import { solveProofOfWork, type ProofOfWorkProgress } from './proof-of-work.js';

/** How the API checks an answer (backend/src/auth/sign-in/proof-of-work.service.ts). */
const bitsOf = (challenge: string, nonce: string) => leadingZeroBits(createHash('sha256').update(proofOfWorkMessage(challenge, nonce), 'ascii').digest());

/** The reference search, written plainly: nonces 0, 1, 2, … until one is enough. */
function firstNonce(challenge: string, difficulty: number): string {
  for (let nonce = 0; ; nonce++) if (bitsOf(challenge, String(nonce)) >= difficulty) return String(nonce);
}

const challenges = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 1, maxLength: 160 });

describe('proof of work (docs/protocol.md "Proof of work")', () => {
  it('finds the first nonce whose digest has the zero bits asked for, as the API counts them, for any challenge length', async () => {
    await fc.assert(
      fc.asyncProperty(challenges, fc.integer({ min: 0, max: 9 }), async (challenge, difficulty) => {
        const nonce = await solveProofOfWork(challenge, difficulty);
        expect(nonce).toMatch(PROOF_OF_WORK_NONCE_PATTERN);
        expect(bitsOf(challenge, nonce)).toBeGreaterThanOrEqual(difficulty);
        expect(nonce).toBe(firstNonce(challenge, difficulty));
      }),
      { numRuns: 150 },
    );
  });

  it('hashes right on both sides of the padding boundary, where a longer nonce needs a second block', async () => {
    // 74 characters, as the API issues them: with ":" that is one whole block and 11 bytes, so every nonce fits the last block.
    // Longer challenges put the digits and the padding across the block boundary as the nonce grows.
    for (let length = 40; length <= 70; length++) {
      const challenge = 'c'.repeat(length);
      expect(await solveProofOfWork(challenge, 10)).toBe(firstNonce(challenge, 10));
    }
    expect(await solveProofOfWork('A'.repeat(74), 12)).toBe(firstNonce('A'.repeat(74), 12));
  });

  it('solves the test vector of docs/protocol.md', async () => {
    const challenge = 'A'.repeat(74);
    expect(await solveProofOfWork(challenge, 12)).toBe('6546');
    expect(createHash('sha256').update(proofOfWorkMessage(challenge, '6546')).digest('hex')).toBe('0008ea6e925d6a87cc19ca614b8ed1d4cbc33db20d62a7ab9044a9fbeb90a7e4');
  });

  it('reports progress while it works and answers the same', async () => {
    let clock = 0;
    const progress: ProofOfWorkProgress[] = [];
    // A clock that moves 60 ms at every reading: the search reports about every other reading.
    const nonce = await solveProofOfWork('fixed-challenge-2', 16, (event) => progress.push(event), () => (clock += 60));
    expect(nonce).toBe('197619');
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.map((event) => event.hashes)).toEqual([...progress.map((event) => event.hashes)].sort((a, b) => a - b));
    expect(progress.at(-1)?.elapsedMs).toBeGreaterThan(0);
  });

  it('refuses a difficulty it cannot meet or that is not a number of bits, and a challenge that is not ASCII', async () => {
    for (const difficulty of [-1, 33, 1.5, Number.NaN]) await expect(solveProofOfWork('abc', difficulty)).rejects.toBeInstanceOf(CryptoError);
    await expect(solveProofOfWork('', 4)).rejects.toBeInstanceOf(CryptoError);
    await expect(solveProofOfWork('défi', 4)).rejects.toBeInstanceOf(CryptoError);
  });
});
