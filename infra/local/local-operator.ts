/**
 * On a fresh `npm start` nobody can approve doctors (docs/protocol.md "Clinicians"): until an
 * operator account exists, each start makes a one-time operator invitation (as
 * `npm run create-operator` does) and prints its link, as it prints registration links.
 */
import pg from 'pg';
import { createStaffInvitation } from '../../backend/src/cli/invitations.js';

export const LOCAL_OPERATOR_EMAIL = 'operator@example.org';

/** The line to print: an invitation link while no operator exists, else null. */
export async function localOperatorLine(ownerUrl: string, portalUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM users WHERE role = 'operator' LIMIT 1`);
    if (rowCount) return null;
  } finally {
    await client.end();
  }
  const { code } = await createStaffInvitation(ownerUrl, 'operator', LOCAL_OPERATOR_EMAIL, 'Local operator');
  const link = `${portalUrl}/register#${new URLSearchParams({ invitation: code, email: LOCAL_OPERATOR_EMAIL }).toString()}`;
  return `  Operator:    none yet; doctors wait for one to approve them. Make it (once, 72 h): ${link}`;
}
