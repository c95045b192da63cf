import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security keys: an optional WebAuthn second factor (ASVS 2.3.2).
 *
 * `security_keys` holds each enrolled authenticator's credential id, COSE
 * public key and signature counter; `webauthn_challenges` the one-time
 * challenges of an enrolment or a sign-in in progress, stored by the SHA-256
 * of the token the client holds. Both are a user's own rows under RLS, like
 * `credentials`. The sign-in step that presents a challenge token comes before
 * any session, so one definer function names the token's owner (as
 * `auth_account_by_refresh_token` does for refresh tokens) and nothing more.
 */
export class SecurityKeys1764910000000 implements MigrationInterface {
  name = 'SecurityKeys1764910000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE security_keys (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        credential_id text NOT NULL UNIQUE,
        public_key bytea NOT NULL,
        sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
        transports text[] NOT NULL DEFAULT '{}',
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz
      );
      CREATE INDEX security_keys_user ON security_keys (user_id);

      CREATE TABLE webauthn_challenges (
        token_hash bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose text NOT NULL CHECK (purpose IN ('enrol', 'sign-in')),
        challenge text NOT NULL,
        -- The name an enrolment gives the key, chosen before the authenticator is asked.
        key_name text CHECK (char_length(key_name) BETWEEN 1 AND 64),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX webauthn_challenges_user ON webauthn_challenges (user_id);

      ALTER TABLE security_keys ENABLE ROW LEVEL SECURITY;
      CREATE POLICY security_keys_self ON security_keys USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
      ALTER TABLE webauthn_challenges ENABLE ROW LEVEL SECURITY;
      CREATE POLICY webauthn_challenges_self ON webauthn_challenges USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());

      CREATE FUNCTION auth_account_by_webauthn_challenge(p_hash bytea) RETURNS TABLE (user_id uuid, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.role FROM webauthn_challenges c JOIN users u ON u.id = c.user_id WHERE c.token_hash = p_hash AND c.purpose = 'sign-in' $$;
      REVOKE ALL ON FUNCTION auth_account_by_webauthn_challenge(bytea) FROM PUBLIC;

      GRANT SELECT, INSERT, UPDATE, DELETE ON security_keys TO phr_app;
      GRANT SELECT, INSERT, DELETE ON webauthn_challenges TO phr_app;
      GRANT EXECUTE ON FUNCTION auth_account_by_webauthn_challenge(bytea) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS auth_account_by_webauthn_challenge(bytea);
      DROP TABLE IF EXISTS webauthn_challenges, security_keys;
    `);
  }
}
