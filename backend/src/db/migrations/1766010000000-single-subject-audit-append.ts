import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * audit_append (migration 1765730000000) locked its subjects' heads through audit_chain_heads_for
 * on every call: an INSERT … ON CONFLICT DO NOTHING of a head that nearly always exists, then a
 * SELECT … FOR UPDATE returned through a set-returning definer function. A read, a sign-in and
 * most actions append rows for one subject (issue 14: that function was a fifth of a read's time
 * in PostgreSQL). With one subject, audit_append now locks its head with one SELECT … FOR UPDATE,
 * and goes through audit_chain_heads_for only when the subject has no head yet (its first row),
 * which makes it and locks it as before. Several subjects still go through audit_chain_heads_for,
 * which locks them in subject order. Rows, hashes and the chain trigger's check are unchanged.
 */
export class SingleSubjectAuditAppend1766010000000 implements MigrationInterface {
  name = 'SingleSubjectAuditAppend1766010000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      auditAppend(`
          IF cardinality(p_subjects) = 1 THEN
            PERFORM 1 FROM audit_chain_heads h WHERE h.subject_id = p_subjects[1] FOR UPDATE;
            IF NOT FOUND THEN
              PERFORM 1 FROM audit_chain_heads_for(p_subjects);
            END IF;
          ELSE
            PERFORM 1 FROM audit_chain_heads_for(p_subjects);
          END IF;`),
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(auditAppend(`
          PERFORM 1 FROM audit_chain_heads_for(p_subjects);`));
  }
}

/** audit_append as migration 1765730000000 made it, with `lockHeads` as the statements that lock the subjects' heads. */
function auditAppend(lockHeads: string): string {
  return `
      CREATE OR REPLACE FUNCTION audit_append(
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
        BEGIN${lockHeads}
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
        END $$;`;
}
