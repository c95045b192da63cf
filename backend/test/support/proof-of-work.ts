/**
 * The proof of work a client owes after repeated failures (docs/protocol.md
 * "Proof of work"), solved the way docs/protocol.md tells a third-party
 * client to: SHA-256 over ASCII(challenge) ":" ASCII(nonce), counting leading
 * zero bits, nonces 0, 1, 2, … in decimal.
 */
import { createHash } from 'node:crypto';
import {
  ROUTES,
  leadingZeroBits,
  proofOfWorkMessage,
  type ProofOfWorkChallenge,
  type ProofOfWorkPurpose,
  type ProofOfWorkSolution,
} from '@phr/shared-types';
import type { TestClient } from './http.js';

export function bitsOf(challenge: string, nonce: string): number {
  return leadingZeroBits(createHash('sha256').update(proofOfWorkMessage(challenge, nonce), 'ascii').digest());
}

/** The first nonce with at least `bits` leading zero bits. */
export function solve(challenge: string, bits: number): ProofOfWorkSolution {
  for (let nonce = 0; ; nonce++) {
    if (bitsOf(challenge, String(nonce)) >= bits) return { challenge, nonce: String(nonce) };
  }
}

/** A nonce that does not reach `bits` (when bits > 0): what a client that skipped the work would send. */
export function nonceShortOf(challenge: string, bits: number): ProofOfWorkSolution {
  for (let nonce = 0; ; nonce++) {
    if (bitsOf(challenge, String(nonce)) < bits) return { challenge, nonce: String(nonce) };
  }
}

export async function challengeFor(http: TestClient, email: string, purpose: ProofOfWorkPurpose, headers: Record<string, string> = {}): Promise<ProofOfWorkChallenge> {
  const response = await http.send(ROUTES.proofOfWork, { body: { email, purpose }, headers });
  if (response.status !== 200) throw new Error(`proof-of-work challenge failed: ${response.status} ${response.text}`);
  return response.body;
}

/** Asks for a challenge and solves it, as the portal does; undefined when none is needed. */
export async function proofFor(http: TestClient, email: string, purpose: ProofOfWorkPurpose, headers: Record<string, string> = {}): Promise<ProofOfWorkSolution | undefined> {
  const challenge = await challengeFor(http, email, purpose, headers);
  return challenge.difficulty === 0 ? undefined : solve(challenge.challenge, challenge.difficulty);
}
