import type pg from 'pg';

/** An invitation of an auditor or an operator, as `auditor_invitations` keeps it: the code's SHA-256, never the code. */
export interface StaffInvitationRow {
  tokenHash: string;
  email: string;
  displayName: string;
  expiresAt: Date;
  role: 'auditor' | 'operator';
}

/**
 * The SQL of `auditor_invitations` (migration 1764400000000) that the
 * operator's command line runs: on its own connection as the database owner
 * (the application role may not insert here), outside the API and its Db.
 * Claiming (`claim_invitation`) and the retention purge run in the API.
 */
export class StaffInvitationsRepository {
  constructor(private readonly client: pg.Client) {}

  async insert(invitation: StaffInvitationRow): Promise<void> {
    await this.client.query('INSERT INTO auditor_invitations (token_hash, email, display_name, expires_at, role) VALUES ($1, $2, $3, $4, $5)', [
      invitation.tokenHash,
      invitation.email,
      invitation.displayName,
      invitation.expiresAt,
      invitation.role,
    ]);
  }
}
