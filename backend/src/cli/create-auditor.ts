/**
 * The operator's step that creates an auditor account (DESIGN 1; issue 5):
 *
 *   DATABASE_MIGRATION_URL=postgres://phr_owner:…@host/phr \
 *     npm run create-auditor -- --email audit@hospital.example --name "Security team"
 *
 * It stores a one-time invitation (only its SHA-256, valid 72 hours) and
 * prints the code once. The auditor opens /register?invitation=<code> in the
 * portal, where the password and keys are made as for everyone else. Auditors
 * read every audit trail and nothing else: no records, wraps or keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DISPLAY_NAME_MAX_LENGTH } from '@phr/shared-types';
import { plainTextProblem } from '../common/plain-text.js';

export const INVITATION_HOURS = 72;

export function invitationHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

export async function createAuditorInvitation(ownerUrl: string, email: string, displayName: string): Promise<{ code: string; expiresAt: Date }> {
  const normalized = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)) throw new Error('--email must be an email address');
  const nameProblem = plainTextProblem(displayName, 1, DISPLAY_NAME_MAX_LENGTH);
  if (nameProblem) throw new Error(`--name ${nameProblem}`);
  const code = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + INVITATION_HOURS * 3_600_000);
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('INSERT INTO auditor_invitations (token_hash, email, display_name, expires_at) VALUES ($1, $2, $3, $4)', [
      invitationHash(code),
      normalized,
      displayName.trim(),
      expiresAt,
    ]);
  } finally {
    await client.end();
  }
  return { code, expiresAt };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } });
  const ownerUrl = process.env.DATABASE_MIGRATION_URL ?? process.env.DATABASE_URL;
  if (!values.email || !values.name || !ownerUrl) {
    throw new Error('Usage: DATABASE_MIGRATION_URL=<owner URL> create-auditor --email <email> --name <display name>');
  }
  const { code, expiresAt } = await createAuditorInvitation(ownerUrl, values.email, values.name);
  console.log(`Invitation for ${values.email.trim().toLowerCase()}, valid until ${expiresAt.toISOString()}:`);
  console.log(code);
  console.log('Give it to the auditor only; they open /register?invitation=<code> in the portal.');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
