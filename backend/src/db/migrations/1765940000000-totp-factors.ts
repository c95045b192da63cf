import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Authenticator apps (TOTP, RFC 6238) as a second factor beside security keys
 * (ASVS 6.3.2; docs/protocol.md "Second factors").
 *
 * One row per account: the secret sealed with AES-256-GCM under a server key
 * (TOTP_SECRET_KEY, or one derived from PRELOGIN_SECRET), bound to the account
 * by the cipher's associated data, so a sealed secret copied into another
 * account's row does not open. A row is pending until the account holder
 * confirms it with a code (`confirmed_at`); only a confirmed one is a second
 * factor. `last_step` is the RFC 6238 time step of the last accepted code:
 * a code of that step or an earlier one is refused (no replay). The account's
 * own row under RLS, like `security_keys`; the sign-in step reads it as the
 * account, after the challenge token named it.
 */
export class TotpFactors1765940000000 implements MigrationInterface {
  name = 'TotpFactors1765940000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE totp_factors (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        sealed_secret bytea NOT NULL CHECK (octet_length(sealed_secret) BETWEEN 40 AND 128),
        created_at timestamptz NOT NULL DEFAULT now(),
        confirmed_at timestamptz,
        last_step bigint CHECK (last_step >= 0),
        last_used_at timestamptz
      );

      ALTER TABLE totp_factors ENABLE ROW LEVEL SECURITY;
      CREATE POLICY totp_factors_self ON totp_factors USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
      GRANT SELECT, INSERT, UPDATE, DELETE ON totp_factors TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE IF EXISTS totp_factors');
  }
}
