import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts, keys, sessions, login throttling and the audit trail.
 *
 * Runs as the owner role. The application role `phr_app` gets only the rights
 * it needs, and Row-Level Security on every table that holds per-user data
 * (DESIGN 6). The request transaction sets `app.user_id` and `app.role`.
 */
export class AccountsAndAudit1764000000000 implements MigrationInterface {
  name = 'AccountsAndAudit1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS
        $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
      CREATE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS
        $$ SELECT nullif(current_setting('app.role', true), '') $$;

      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        display_name text NOT NULL,
        role text NOT NULL CHECK (role IN ('patient', 'doctor', 'auditor')),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_key ON users (email);

      -- Everything needed to sign in and unlock keys; never readable by anyone but its owner.
      CREATE TABLE credentials (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        auth_hash text NOT NULL,
        kdf_iterations integer NOT NULL CHECK (kdf_iterations >= 600000),
        kdf_salt text NOT NULL,
        wrapped_account_key text NOT NULL,
        wrapped_private_key text NOT NULL,
        recovery_auth_hash text NOT NULL,
        recovery_wrapped_account_key text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- Public keys are public: any signed-in user may read them (to share with a doctor).
      CREATE TABLE public_keys (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        public_key text NOT NULL,
        fingerprint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        family_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

      -- Failed-login counters, keyed by an HMAC of the email or the IP; no per-user data.
      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        locked_until timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);

    // Look-ups that must work before the caller is known. They run as the owner
    // (bypassing RLS) and return only the account id; everything else is then
    // read under that account's own context.
    await db.query(`
      CREATE FUNCTION auth_account_by_email(p_email text) RETURNS TABLE (user_id uuid, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT id, role FROM users WHERE email = p_email $$;
      CREATE FUNCTION auth_account_by_refresh_token(p_hash bytea) RETURNS TABLE (user_id uuid, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.role FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = p_hash $$;
    `);

    // Audit trail (DESIGN 7): append-only, one hash chain per subject.
    await db.query(`
      CREATE TABLE audit_events (
        subject_id uuid NOT NULL,
        seq bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor_role text,
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('allow', 'deny')),
        reason text,
        record_id uuid,
        consent_id uuid,
        ip text,
        user_agent text,
        request_id text,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (subject_id, seq)
      );
      CREATE INDEX audit_events_time ON audit_events (occurred_at DESC);

      CREATE TABLE audit_chain_heads (
        subject_id uuid PRIMARY KEY,
        seq bigint NOT NULL,
        hash text NOT NULL
      );

      -- Locks the subject's chain head until the transaction ends (other subjects
      -- do not wait) and returns it, so the caller can hash the next row.
      CREATE FUNCTION audit_chain_head(p_subject uuid) RETURNS TABLE (seq bigint, hash text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
          INSERT INTO audit_chain_heads (subject_id, seq, hash)
            VALUES (p_subject, 0, repeat('0', 64)) ON CONFLICT (subject_id) DO NOTHING;
          RETURN QUERY SELECT h.seq, h.hash FROM audit_chain_heads h WHERE h.subject_id = p_subject FOR UPDATE;
        END $$;

      -- Every insert must continue its subject's chain exactly; the head moves with it.
      CREATE FUNCTION audit_events_continue_chain() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE head audit_chain_heads%ROWTYPE;
        BEGIN
          SELECT * INTO head FROM audit_chain_heads WHERE subject_id = NEW.subject_id FOR UPDATE;
          IF head.subject_id IS NULL OR NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
            RAISE EXCEPTION 'audit row does not continue the chain of subject %', NEW.subject_id
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE subject_id = NEW.subject_id;
          RETURN NEW;
        END $$;
      CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_continue_chain();

      CREATE FUNCTION audit_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$;
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();
    `);

    await db.query(`
      ALTER TABLE users ENABLE ROW LEVEL SECURITY;
      CREATE POLICY users_self ON users USING (id = app_user_id()) WITH CHECK (id = app_user_id());

      ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
      CREATE POLICY credentials_self ON credentials USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());

      ALTER TABLE public_keys ENABLE ROW LEVEL SECURITY;
      CREATE POLICY public_keys_read ON public_keys FOR SELECT USING (app_user_id() IS NOT NULL);
      CREATE POLICY public_keys_insert_own ON public_keys FOR INSERT WITH CHECK (user_id = app_user_id());

      ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
      CREATE POLICY refresh_tokens_self ON refresh_tokens USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());

      ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
      CREATE POLICY audit_events_read ON audit_events FOR SELECT
        USING (subject_id = app_user_id() OR app_role() = 'auditor');
      -- Anyone's attempt is recorded, including a stranger's denied attempt on a patient's data.
      CREATE POLICY audit_events_append ON audit_events FOR INSERT WITH CHECK (true);
    `);

    await db.query(`
      REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
      REVOKE ALL ON FUNCTION audit_chain_head(uuid), auth_account_by_email(text), auth_account_by_refresh_token(bytea) FROM PUBLIC;
      GRANT USAGE ON SCHEMA public TO phr_app;
      GRANT SELECT, INSERT, UPDATE ON users TO phr_app;
      GRANT SELECT, INSERT, UPDATE ON credentials TO phr_app;
      GRANT SELECT, INSERT ON public_keys TO phr_app;
      GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO phr_app;
      GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO phr_app;
      GRANT SELECT, INSERT ON audit_events TO phr_app;
      GRANT EXECUTE ON FUNCTION app_user_id(), app_role() TO phr_app;
      GRANT EXECUTE ON FUNCTION audit_chain_head(uuid), auth_account_by_email(text), auth_account_by_refresh_token(bytea) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS audit_events, audit_chain_heads, login_throttle, refresh_tokens, public_keys, credentials, users CASCADE;
      DROP FUNCTION IF EXISTS audit_events_reject_change(), audit_events_continue_chain(), audit_chain_head(uuid),
        auth_account_by_refresh_token(bytea), auth_account_by_email(text), app_role(), app_user_id();
    `);
  }
}
