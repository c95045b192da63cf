import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  PROOF_OF_WORK_CHALLENGE_CHARS,
  PROOF_OF_WORK_NONCE_PATTERN,
  leadingZeroBits,
  proofOfWorkMessage,
  type ProofOfWorkChallenge,
  type ProofOfWorkPurpose,
  type ProofOfWorkSolution,
} from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { ProofOfWorkSpentRepository } from './proof-of-work-spent.repository.js';

/**
 * The challenge, before base64url (55 bytes, 74 characters):
 * version (1) ‖ purpose (1) ‖ difficulty (1) ‖ expiry, Unix seconds (4, big-endian)
 * ‖ email tag (16) ‖ challenge id (16) ‖ HMAC-SHA256 of all that, first 16 bytes.
 * Clients treat it as opaque text; only the API reads it.
 */
const VERSION = 1;
const PURPOSE_CODES: Record<ProofOfWorkPurpose, number> = { login: 1, recovery: 2 };
const TAG_BYTES = 16;
const ID_BYTES = 16;
const PAYLOAD_BYTES = 1 + 1 + 1 + 4 + TAG_BYTES + ID_BYTES;

/** What a challenge is checked against: the request it came with, and the work the server demands now. */
export interface ProofOfWorkExpectation {
  email: string;
  purpose: ProofOfWorkPurpose;
  bits: number;
}

/**
 * Proof-of-work challenges (docs/protocol.md "Proof of work"): stateless and
 * HMAC-signed when issued, recorded as spent when answered, so each is used
 * once. The key is derived from PRELOGIN_SECRET.
 */
@Injectable()
export class ProofOfWork {
  private readonly key: Buffer;
  private readonly lifetimeSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly spent: ProofOfWorkSpentRepository,
  ) {
    this.key = createHmac('sha256', config.preloginSecret).update('phr/v1/proof-of-work').digest();
    this.lifetimeSeconds = config.loginThrottle.challengeSeconds;
  }

  /** `email` normalised; `issuedAt` (ms) is now, but for a test that needs a challenge issued long ago. */
  issue(email: string, purpose: ProofOfWorkPurpose, difficulty: number, issuedAt: number = Date.now()): ProofOfWorkChallenge {
    const expiresAt = Math.floor(issuedAt / 1000) + this.lifetimeSeconds;
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload.writeUInt8(VERSION, 0);
    payload.writeUInt8(PURPOSE_CODES[purpose], 1);
    payload.writeUInt8(difficulty, 2);
    payload.writeUInt32BE(expiresAt, 3);
    this.emailTag(email).copy(payload, 7);
    randomBytes(ID_BYTES).copy(payload, 7 + TAG_BYTES);
    return {
      challenge: Buffer.concat([payload, this.tagOf(payload)]).toString('base64url'),
      difficulty,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    };
  }

  /**
   * Null when the proof holds: signed by us, for this email and purpose, not
   * expired, with at least the work demanded now (and at least the work its
   * challenge stated), and not used before (it is spent at once, in a
   * statement of its own, so two requests racing with one proof cannot both
   * pass). Otherwise why it does not hold, for the audit trail.
   */
  async refusal(solution: ProofOfWorkSolution | undefined, expected: ProofOfWorkExpectation): Promise<string | null> {
    if (!solution) return 'missing';
    const bytes = decode(solution.challenge);
    if (!bytes || !PROOF_OF_WORK_NONCE_PATTERN.test(solution.nonce)) return 'malformed';
    const payload = bytes.subarray(0, PAYLOAD_BYTES);
    if (!timingSafeEqual(bytes.subarray(PAYLOAD_BYTES), this.tagOf(payload))) return 'not issued by this service';
    if (payload.readUInt8(0) !== VERSION) return 'of an unknown version';
    if (payload.readUInt8(1) !== PURPOSE_CODES[expected.purpose]) return 'for another purpose';
    if (!timingSafeEqual(payload.subarray(7, 7 + TAG_BYTES), this.emailTag(expected.email))) return 'for another email';
    const expiresAt = payload.readUInt32BE(3);
    if (expiresAt * 1000 <= Date.now()) return 'expired';
    const needed = Math.max(expected.bits, payload.readUInt8(2));
    const digest = createHash('sha256').update(proofOfWorkMessage(solution.challenge, solution.nonce), 'ascii').digest();
    const shown = leadingZeroBits(digest);
    if (shown < needed) return `too little work (${shown} of ${needed} bits)`;
    return (await this.spent.spend(payload.subarray(7 + TAG_BYTES, PAYLOAD_BYTES), expiresAt)) ? null : 'already used';
  }

  /** Spent challenges past their expiry can no longer be presented: the sweep deletes them. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    return this.spent.purgeExpired(now);
  }

  private emailTag(email: string): Buffer {
    return createHmac('sha256', this.key).update(`email:${email}`).digest().subarray(0, TAG_BYTES);
  }

  private tagOf(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, TAG_BYTES);
  }
}

function decode(challenge: string): Buffer | null {
  if (challenge.length !== PROOF_OF_WORK_CHALLENGE_CHARS || !/^[A-Za-z0-9_-]+$/.test(challenge)) return null;
  const bytes = Buffer.from(challenge, 'base64url');
  return bytes.length === PAYLOAD_BYTES + TAG_BYTES ? bytes : null;
}
