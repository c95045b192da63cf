import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Auditor accounts are never self-registered (DESIGN 1): an operator runs
 * `create-auditor` (backend/src/cli), which stores a one-time invitation
 * (only its SHA-256); the auditor redeems it in the portal, where their keys
 * are made. The application role cannot read the table, only claim a code.
 */
export class AuditorInvitations1764400000000 implements MigrationInterface {
  name = 'AuditorInvitations1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE auditor_invitations (
        token_hash text PRIMARY KEY,
        email text NOT NULL,
        display_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      CREATE FUNCTION claim_auditor_invitation(p_hash text, p_email text) RETURNS text
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ UPDATE auditor_invitations SET used_at = now()
           WHERE token_hash = p_hash AND email = p_email AND used_at IS NULL AND expires_at > now()
           RETURNING display_name $$;
      REVOKE ALL ON FUNCTION claim_auditor_invitation(text, text) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION claim_auditor_invitation(text, text) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP FUNCTION IF EXISTS claim_auditor_invitation(text, text); DROP TABLE IF EXISTS auditor_invitations;');
  }
}
