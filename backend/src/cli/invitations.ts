/**
 * Invitations the operator's command-line steps make (DESIGN 1; issue 19):
 * auditors and operators never register themselves. One row per invitation
 * in `auditor_invitations`, holding only the code's SHA-256, valid 72 hours;
 * the code is printed once. The invited person opens
 * /register?invitation=<code> in the portal, where the password and keys are
 * made as for everyone else (POST /auth/register-invited). Clinicians are
 * invited by operators in the API instead (POST /clinicians/invitations).
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DISPLAY_NAME_MAX_LENGTH } from '@phr/shared-types';
import { plainTextProblem } from '../common/plain-text.js';
import { INVITATION_HOURS, invitationHash, newInvitationCode } from '../identity/invitation-codes.js';
import { StaffInvitationsRepository } from './staff-invitations.repository.js';

/** Roles the command line invites; clinicians are invited by an operator through the API. */
export type StaffRole = 'auditor' | 'operator';

export async function createStaffInvitation(ownerUrl: string, role: StaffRole, email: string, displayName: string): Promise<{ code: string; expiresAt: Date }> {
  const normalized = email.trim().toLowerCase();
  // eslint-disable-next-line sonarjs/super-linear-regex -- the operator's own --email on the command line, not request input
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)) throw new Error('--email must be an email address');
  const nameProblem = plainTextProblem(displayName, 1, DISPLAY_NAME_MAX_LENGTH);
  if (nameProblem) throw new Error(`--name ${nameProblem}`);
  const code = newInvitationCode();
  const expiresAt = new Date(Date.now() + INVITATION_HOURS * 3_600_000);
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await new StaffInvitationsRepository(client).insert({ tokenHash: invitationHash(code), email: normalized, displayName: displayName.trim(), expiresAt, role });
  } finally {
    await client.end();
  }
  return { code, expiresAt };
}

/** The command line of `create-auditor` and `create-operator`. */
export async function inviteFromCommandLine(role: StaffRole): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } });
  const ownerUrl = process.env.DATABASE_MIGRATION_URL ?? process.env.DATABASE_URL;
  if (!values.email || !values.name || !ownerUrl) {
    throw new Error(`Usage: DATABASE_MIGRATION_URL=<owner URL> create-${role} --email <email> --name <display name>`);
  }
  const { code, expiresAt } = await createStaffInvitation(ownerUrl, role, values.email, values.name);
  console.log(`Invitation (${role}) for ${values.email.trim().toLowerCase()}, valid until ${expiresAt.toISOString()}:`);
  console.log(code);
  console.log(`Give it to the ${role} only; they open /register?invitation=<code> in the portal.`);
}

export function runCommandLine(moduleUrl: string, role: StaffRole): void {
  if (!process.argv[1] || moduleUrl !== new URL(`file://${process.argv[1]}`).href) return;
  inviteFromCommandLine(role).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
