import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in without lockouts (docs/architecture.md "Sessions").
 *
 * `known_devices`: browsers that signed in to an account, by the SHA-256 of
 * the account id and the browser's device cookie (so the rows of two accounts
 * used on one browser cannot be linked), with the session their latest sign-in
 * started. A user's own rows under RLS; the sweep deletes expired ones through
 * a definer function that takes only the time.
 *
 * `proof_of_work_spent`: the ids of proof-of-work challenges already answered,
 * until they expire, so that each is used once. No per-user data.
 */
export class KnownDevices1765000000000 implements MigrationInterface {
  name = 'KnownDevices1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE known_devices (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
        family_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_sign_in_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, token_hash)
      );
      CREATE INDEX known_devices_expires_at ON known_devices (expires_at);
      ALTER TABLE known_devices ENABLE ROW LEVEL SECURITY;
      CREATE POLICY known_devices_self ON known_devices USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
      GRANT SELECT, INSERT, UPDATE, DELETE ON known_devices TO phr_app;

      CREATE FUNCTION purge_expired_known_devices(p_now timestamptz) RETURNS bigint
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ WITH gone AS (DELETE FROM known_devices WHERE expires_at < p_now RETURNING 1) SELECT count(*) FROM gone $$;
      REVOKE ALL ON FUNCTION purge_expired_known_devices(timestamptz) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION purge_expired_known_devices(timestamptz) TO phr_app;

      CREATE TABLE proof_of_work_spent (
        challenge_id bytea PRIMARY KEY CHECK (octet_length(challenge_id) = 16),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX proof_of_work_spent_expires_at ON proof_of_work_spent (expires_at);
      GRANT SELECT, INSERT, DELETE ON proof_of_work_spent TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS proof_of_work_spent;
      DROP FUNCTION IF EXISTS purge_expired_known_devices(timestamptz);
      DROP TABLE IF EXISTS known_devices;
    `);
  }
}
