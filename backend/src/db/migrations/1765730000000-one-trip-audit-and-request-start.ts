import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: fewer round trips per request.
 *
 * `audit_append` writes a transaction's audit rows in one statement: it locks
 * the chain heads of all their subjects in subject order (audit_chain_heads_for,
 * as before), then for each row, in the order given, takes the next seq, builds
 * the row's canonical text around it and hashes it exactly as the portal checks
 * it (shared-types `auditHashInput`: hex(SHA-256(utf8(prevHash + "\n" +
 * canonical)))). The canonical text is made by the API with JSON.stringify, as
 * before, in two parts: everything before the seq (`[1,"<subject>"`) and
 * everything after it (`"<occurredAt>",…]`); the database puts the seq between
 * them. So the head is locked for one statement and the COMMIT, not across
 * three round trips, and the hash format is unchanged. The chain trigger still
 * checks every insert and moves the head.
 *
 * `app_start_request` sets the caller's RLS context (app.user_id, app.role)
 * and, given the caller's session, refuses (SQLSTATE 28000, message `account`
 * or `session`) unless the account still exists with that role and the
 * session is still live (db/account-liveness.ts). It runs as the caller
 * (SECURITY INVOKER): the checks see only what RLS shows the caller's own
 * context. It is sent in the same message as START TRANSACTION.
 */
export class OneTripAuditAndRequestStart1765730000000 implements MigrationInterface {
  name = 'OneTripAuditAndRequestStart1765730000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION audit_append(
        p_subjects uuid[], p_before_seq text[], p_after_seq text[], p_occurred_at timestamptz,
        p_actor_ids uuid[], p_actor_roles text[], p_actions text[], p_outcomes text[], p_reasons text[],
        p_record_ids uuid[], p_consent_ids uuid[], p_ips text[], p_user_agents text[], p_request_ids text[]
      ) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
          i integer;
          head_seq bigint;
          head_hash text;
          canonical text;
        BEGIN
          PERFORM 1 FROM audit_chain_heads_for(p_subjects);
          FOR i IN 1 .. coalesce(array_length(p_subjects, 1), 0) LOOP
            -- The canonical text must be the row's own: it starts with its version and subject.
            IF p_before_seq[i] IS DISTINCT FROM '[1,"' || p_subjects[i]::text || '"' THEN
              RAISE EXCEPTION 'audit row % does not start with its subject', i USING ERRCODE = 'invalid_parameter_value';
            END IF;
            SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_chain_heads h WHERE h.subject_id = p_subjects[i];
            canonical := p_before_seq[i] || ',' || (head_seq + 1)::text || ',' || p_after_seq[i];
            INSERT INTO audit_events (subject_id, seq, occurred_at, actor_id, actor_role, action, outcome, reason,
                record_id, consent_id, ip, user_agent, request_id, prev_hash, hash)
              VALUES (p_subjects[i], head_seq + 1, p_occurred_at, p_actor_ids[i], p_actor_roles[i], p_actions[i], p_outcomes[i],
                p_reasons[i], p_record_ids[i], p_consent_ids[i], p_ips[i], p_user_agents[i], p_request_ids[i], head_hash,
                encode(sha256(convert_to(head_hash || E'\\n' || canonical, 'UTF8')), 'hex'));
          END LOOP;
        END $$;
      REVOKE ALL ON FUNCTION audit_append(uuid[], text[], text[], timestamptz, uuid[], text[], text[], text[], text[], uuid[], uuid[], text[], text[], text[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_append(uuid[], text[], text[], timestamptz, uuid[], text[], text[], text[], text[], uuid[], uuid[], text[], text[], text[]) TO phr_app;

      CREATE FUNCTION app_start_request(p_user uuid, p_role text, p_session uuid) RETURNS void
        LANGUAGE plpgsql SECURITY INVOKER SET search_path = public AS $$
        DECLARE
          account_role text;
          is_session_live boolean;
        BEGIN
          PERFORM set_config('app.user_id', coalesce(p_user::text, ''), true), set_config('app.role', coalesce(p_role, ''), true);
          IF p_user IS NULL OR p_session IS NULL THEN
            RETURN;
          END IF;
          SELECT u.role::text, EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = p_session AND t.revoked_at IS NULL)
            INTO account_role, is_session_live
            FROM users u WHERE u.id = app_user_id();
          IF account_role IS DISTINCT FROM p_role THEN
            RAISE EXCEPTION 'account' USING ERRCODE = 'invalid_authorization_specification';
          END IF;
          IF NOT is_session_live THEN
            RAISE EXCEPTION 'session' USING ERRCODE = 'invalid_authorization_specification';
          END IF;
        END $$;
      REVOKE ALL ON FUNCTION app_start_request(uuid, text, uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION app_start_request(uuid, text, uuid) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS app_start_request(uuid, text, uuid);
      DROP FUNCTION IF EXISTS audit_append(uuid[], text[], text[], timestamptz, uuid[], text[], text[], text[], text[], uuid[], uuid[], text[], text[], text[]);
    `);
  }
}
