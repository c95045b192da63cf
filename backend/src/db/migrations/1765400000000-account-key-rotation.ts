import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account-key rotation (docs/protocol.md "Account-key rotation").
 *
 * `credentials.key_generation`: the generation of the account key in force
 * (1 for every account so far). `record_wraps.key_generation` and
 * `folders.key_generation`: the generation that sealed an owner wrap or a
 * folder name, so the rows still under the old key can be counted and listed.
 * A doctor's wrap is RSA under the doctor's key and has none (the CHECK keeps
 * an owner wrap from being written without one).
 *
 * `account_key_rotations`: at most one rotation per account, with the new
 * key's wraps, kept beside the old ones until the rotation finishes. The
 * account's own row under RLS; it goes with the account (erasure cascades).
 */
export class AccountKeyRotation1765400000000 implements MigrationInterface {
  name = 'AccountKeyRotation1765400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE credentials ADD COLUMN key_generation integer NOT NULL DEFAULT 1 CHECK (key_generation >= 1);

      ALTER TABLE record_wraps ADD COLUMN key_generation integer CHECK (key_generation >= 1);
      UPDATE record_wraps SET key_generation = 1 WHERE recipient_id = owner_id;
      ALTER TABLE record_wraps ADD CONSTRAINT record_wraps_owner_generation CHECK ((recipient_id = owner_id) = (key_generation IS NOT NULL));
      CREATE INDEX record_wraps_owner_key_generation ON record_wraps (owner_id, key_generation, created_at, record_id) WHERE recipient_id = owner_id;

      ALTER TABLE folders ADD COLUMN key_generation integer NOT NULL DEFAULT 1 CHECK (key_generation >= 1);
      CREATE INDEX folders_owner_key_generation ON folders (owner_id, key_generation, created_at, id);

      CREATE TABLE account_key_rotations (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        generation integer NOT NULL CHECK (generation >= 2),
        wrapped_account_key text NOT NULL,
        wrapped_private_key text NOT NULL,
        batches integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE account_key_rotations ENABLE ROW LEVEL SECURITY;
      CREATE POLICY account_key_rotations_self ON account_key_rotations USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
      GRANT SELECT, INSERT, UPDATE, DELETE ON account_key_rotations TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS account_key_rotations;
      DROP INDEX IF EXISTS folders_owner_key_generation;
      ALTER TABLE folders DROP COLUMN IF EXISTS key_generation;
      DROP INDEX IF EXISTS record_wraps_owner_key_generation;
      ALTER TABLE record_wraps DROP CONSTRAINT IF EXISTS record_wraps_owner_generation;
      ALTER TABLE record_wraps DROP COLUMN IF EXISTS key_generation;
      ALTER TABLE credentials DROP COLUMN IF EXISTS key_generation;
    `);
  }
}
