/**
 * Proof of work at sign-in (docs/protocol.md "Proof of work"). After repeated
 * failures on an account, a client the account does not know must show work
 * before the API checks a secret: it slows guessing down without ever refusing
 * the right secret, so nobody can lock the owner out (ASVS 5.0 6.1.1).
 *
 * The puzzle: find a nonce such that SHA-256(ASCII(challenge) ‖ ":" ‖
 * ASCII(nonce)) starts with at least `difficulty` zero bits.
 */
import type { IsoDateTime } from './common.js';

/** What the proof unlocks: a password sign-in, or a recovery-code check. */
export const PROOF_OF_WORK_PURPOSES = ['login', 'recovery'] as const;
export type ProofOfWorkPurpose = (typeof PROOF_OF_WORK_PURPOSES)[number];

/** A nonce is 1 to 16 decimal digits (below 2^53, so any JavaScript number counts it exactly). */
export const PROOF_OF_WORK_NONCE_PATTERN = /^\d{1,16}$/;

/** The challenge is opaque base64url text; the API issues it at this length and accepts no other. */
export const PROOF_OF_WORK_CHALLENGE_CHARS = 74;

/** POST /auth/proof-of-work */
export interface ProofOfWorkRequest {
  email: string;
  purpose: ProofOfWorkPurpose;
}

/**
 * A signed, single-use challenge, bound to the email and the purpose.
 * `difficulty` 0 means no proof is needed from this client now (a known
 * device, or an account without recent failures); sending none is then fine.
 */
export interface ProofOfWorkChallenge {
  challenge: string;
  /** Leading zero bits the digest must have. */
  difficulty: number;
  expiresAt: IsoDateTime;
}

/** The answer, sent as `proofOfWork` with the secret it unlocks. */
export interface ProofOfWorkSolution {
  challenge: string;
  nonce: string;
}

/** The bytes the digest is taken over: ASCII(challenge) ‖ ":" ‖ ASCII(nonce). */
export function proofOfWorkMessage(challenge: string, nonce: string): string {
  return `${challenge}:${nonce}`;
}

/** Leading zero bits of a digest, most significant bit of the first byte first. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}
