import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (ASVS 8.3.8): the sweep deletes what has no further use once a
 * grace period has passed: refresh tokens that expired or were revoked, and
 * auditor invitations used or expired. The application role may read neither
 * table in full (RLS shows a user only their own tokens; invitations not at
 * all), so the deletions run in two SECURITY DEFINER functions that take only
 * the cut-off time and return how many rows went. A used token that has not
 * expired stays: presenting it again is how reuse is detected.
 */
export class Retention1764600000000 implements MigrationInterface {
  name = 'Retention1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
      CREATE FUNCTION purge_ended_refresh_tokens(p_before timestamptz) RETURNS bigint
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ WITH gone AS (DELETE FROM refresh_tokens WHERE expires_at < p_before OR revoked_at < p_before RETURNING 1)
           SELECT count(*) FROM gone $$;
      CREATE FUNCTION purge_spent_auditor_invitations(p_before timestamptz) RETURNS bigint
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ WITH gone AS (DELETE FROM auditor_invitations WHERE used_at < p_before OR expires_at < p_before RETURNING 1)
           SELECT count(*) FROM gone $$;
      REVOKE ALL ON FUNCTION purge_ended_refresh_tokens(timestamptz), purge_spent_auditor_invitations(timestamptz) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION purge_ended_refresh_tokens(timestamptz), purge_spent_auditor_invitations(timestamptz) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS purge_spent_auditor_invitations(timestamptz), purge_ended_refresh_tokens(timestamptz);
      DROP INDEX IF EXISTS refresh_tokens_expires_at;
    `);
  }
}
