import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registration proves the email first (docs/protocol.md, "Registration"), so
 * that it no longer tells who has an account.
 *
 * `registration_tokens`: the single-use tokens of registration links, stored
 * only as SHA-256, with the email each was made for and its expiry. As with
 * auditor invitations, the application role may only insert them and claim
 * one (a definer function that marks it used and says whether it was valid);
 * it cannot list them. A retention function deletes spent ones.
 *
 * `mail_outbox`: mails waiting for the SMTP server, written in the request's
 * transaction and sent by the API's sender job afterwards, so an answer never
 * waits on SMTP and a restart loses nothing. A sent mail's row is deleted.
 * It holds email addresses and, until sent, a registration link: no user id
 * and no patient data, so no RLS (like `rate_limits`).
 */
export class RegistrationByEmail1765200000000 implements MigrationInterface {
  name = 'RegistrationByEmail1765200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE registration_tokens (
        token_hash bytea PRIMARY KEY,
        email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      CREATE INDEX registration_tokens_expires_at ON registration_tokens (expires_at);
      CREATE FUNCTION claim_registration_token(p_hash bytea, p_email text) RETURNS boolean
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ WITH claimed AS (
             UPDATE registration_tokens SET used_at = now()
             WHERE token_hash = p_hash AND email = p_email AND used_at IS NULL AND expires_at > now()
             RETURNING 1)
           SELECT EXISTS (SELECT 1 FROM claimed) $$;
      CREATE FUNCTION purge_spent_registration_tokens(p_before timestamptz) RETURNS bigint
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ WITH gone AS (DELETE FROM registration_tokens WHERE used_at < p_before OR expires_at < p_before RETURNING 1)
           SELECT count(*) FROM gone $$;
      REVOKE ALL ON FUNCTION claim_registration_token(bytea, text), purge_spent_registration_tokens(timestamptz) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION claim_registration_token(bytea, text), purge_spent_registration_tokens(timestamptz) TO phr_app;
      GRANT INSERT ON registration_tokens TO phr_app;

      CREATE TABLE mail_outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        recipient text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text
      );
      CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
      GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS mail_outbox;
      DROP FUNCTION IF EXISTS purge_spent_registration_tokens(timestamptz), claim_registration_token(bytea, text);
      DROP TABLE IF EXISTS registration_tokens;
    `);
  }
}
