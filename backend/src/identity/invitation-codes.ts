/**
 * Invitation codes (DESIGN 1; issue 19): the code is given to the invited
 * person once; the database keeps only its SHA-256, valid INVITATION_HOURS.
 * Used by the operator's command line (cli/invitations.ts: auditors,
 * operators), by operators' clinician invitations and by sign-up with an
 * invitation (auth), so it lives below all three.
 */
import { createHash, randomBytes } from 'node:crypto';

export const INVITATION_HOURS = 72;
export const INVITATION_CODE_BYTES = 32;

export function invitationHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** How audit rows name an invitation: the start of its hash (never the code, never the person). */
export function invitationRef(hash: string): string {
  return hash.slice(0, 16);
}

export function newInvitationCode(): string {
  return randomBytes(INVITATION_CODE_BYTES).toString('base64url');
}
