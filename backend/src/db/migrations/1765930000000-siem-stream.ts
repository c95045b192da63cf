import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Streaming the audit trail to a SIEM (issue 16, docs/running.md "Streaming audit events to a
 * SIEM"), following new audit rows the way the notification mails do (1765810000000):
 *
 * - A trigger marks the subject of every new row in `siem_due`, in the transaction that appends
 *   the row: nothing committed goes unmarked, nothing rolled back is marked. One mark per subject,
 *   however many rows: ON CONFLICT DO NOTHING, one index probe and no write once the mark is there
 *   (the notification trigger's DO UPDATE … WHERE false locks the mark, a write per row; here the
 *   shipper locks the chain heads instead, which every writer holds anyway).
 * - `siem_cursor` keeps, per subject, the seq shipped up to. A subject's rows become visible in
 *   seq order (its chain head is locked from the seq's choice to the COMMIT), so a cursor on seq
 *   never skips a row that commits late. Across subjects there is no commit order to follow
 *   (occurred_at is not one, and making one would serialise every audit write): the stream is
 *   ordered per chain, subjects in the order their marks were made.
 * - `siem_pending` returns the next rows to ship, `siem_shipped` moves the cursors and removes
 *   the marks of subjects shipped up to their head: it locks their chain heads first, skipping
 *   those a writer holds (their marks stay, their rows go in the next batch), then compares the
 *   heads with the cursors in a later statement; a writer that comes after waits for the head,
 *   appends, and its trigger marks the subject again.
 * - `siem_progress`, one row: what was shipped last and the last error, for the status route.
 * - Existing trails are marked here, so a SIEM switched on later receives every row from seq 1.
 *
 * Only the shipper's SECURITY DEFINER functions touch these tables; the application role has
 * no grant on them.
 */
export class SiemStream1765930000000 implements MigrationInterface {
  name = 'SiemStream1765930000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      -- No foreign key: an erased subject's rows still ship.
      CREATE TABLE siem_due (
        subject_id uuid PRIMARY KEY,
        first_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX siem_due_first_at ON siem_due (first_at, subject_id);
      CREATE TABLE siem_cursor (
        subject_id uuid PRIMARY KEY,
        shipped_seq bigint NOT NULL
      );
      CREATE TABLE siem_progress (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        shipped_rows bigint NOT NULL DEFAULT 0,
        last_subject_id uuid,
        last_seq bigint,
        last_shipped_at timestamptz,
        last_error text,
        last_error_at timestamptz
      );
      INSERT INTO siem_progress DEFAULT VALUES;
      ALTER TABLE siem_due ENABLE ROW LEVEL SECURITY;
      ALTER TABLE siem_cursor ENABLE ROW LEVEL SECURITY;
      ALTER TABLE siem_progress ENABLE ROW LEVEL SECURITY;
      REVOKE ALL ON siem_due, siem_cursor, siem_progress FROM PUBLIC;

      INSERT INTO siem_due (subject_id) SELECT subject_id FROM audit_chain_heads WHERE seq > 0;

      CREATE FUNCTION audit_events_mark_siem_due() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
          INSERT INTO siem_due (subject_id) VALUES (NEW.subject_id) ON CONFLICT (subject_id) DO NOTHING;
          RETURN NULL;
        END $$;
      CREATE TRIGGER audit_events_siem_due AFTER INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_mark_siem_due();

      -- The next rows to ship: subjects in the order of their marks, each subject's rows in seq order.
      CREATE FUNCTION siem_pending(p_limit integer) RETURNS SETOF audit_events
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT e.* FROM (SELECT d.subject_id, d.first_at, coalesce(c.shipped_seq, 0) AS shipped_seq
                             FROM siem_due d LEFT JOIN siem_cursor c ON c.subject_id = d.subject_id
                            ORDER BY d.first_at, d.subject_id LIMIT p_limit) AS due
          CROSS JOIN LATERAL (SELECT * FROM audit_events x
                               WHERE x.subject_id = due.subject_id AND x.seq > due.shipped_seq
                               ORDER BY x.seq LIMIT p_limit) AS e
          ORDER BY due.first_at, due.subject_id, e.seq
          LIMIT p_limit $$;

      -- p_subjects, p_seqs: each subject shipped and its last seq shipped, in shipping order.
      -- Chains a writer holds now keep their marks: their new rows ship in the next batch.
      CREATE FUNCTION siem_shipped(p_subjects uuid[], p_seqs bigint[], p_rows integer) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
          locked uuid[];
        BEGIN
          INSERT INTO siem_cursor AS c (subject_id, shipped_seq)
            SELECT * FROM unnest(p_subjects, p_seqs)
            ON CONFLICT (subject_id) DO UPDATE SET shipped_seq = GREATEST(c.shipped_seq, excluded.shipped_seq);
          SELECT array_agg(h.subject_id) INTO locked FROM
            (SELECT subject_id FROM audit_chain_heads WHERE subject_id = ANY (p_subjects) ORDER BY subject_id FOR SHARE SKIP LOCKED) AS h;
          -- A statement after the locks: its snapshot sees every row of those chains (a writer holds
          -- the head from the seq's choice to its COMMIT, and one that comes now waits for ours).
          DELETE FROM siem_due d USING siem_cursor c
           WHERE d.subject_id = ANY (locked) AND c.subject_id = d.subject_id
             AND NOT EXISTS (SELECT 1 FROM audit_chain_heads h WHERE h.subject_id = d.subject_id AND h.seq > c.shipped_seq);
          UPDATE siem_progress SET shipped_rows = shipped_rows + p_rows,
                 last_subject_id = p_subjects[array_length(p_subjects, 1)], last_seq = p_seqs[array_length(p_seqs, 1)],
                 last_shipped_at = now();
        END $$;

      CREATE FUNCTION siem_failed(p_error text) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
          UPDATE siem_progress SET last_error = left(p_error, 500), last_error_at = now() $$;

      -- Lag: rows committed and not yet shipped, and the age of the oldest mark.
      CREATE FUNCTION siem_status() RETURNS TABLE (pending_rows bigint, oldest_pending_at timestamptz, shipped_rows bigint,
          last_subject_id uuid, last_seq bigint, last_shipped_at timestamptz, last_error text, last_error_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT (SELECT coalesce(sum(h.seq - coalesce(c.shipped_seq, 0)), 0)::bigint FROM siem_due d
                    JOIN audit_chain_heads h ON h.subject_id = d.subject_id LEFT JOIN siem_cursor c ON c.subject_id = d.subject_id),
                 (SELECT min(first_at) FROM siem_due),
                 p.shipped_rows, p.last_subject_id, p.last_seq, p.last_shipped_at, p.last_error, p.last_error_at
            FROM siem_progress p $$;

      REVOKE ALL ON FUNCTION audit_events_mark_siem_due(), siem_pending(integer), siem_shipped(uuid[], bigint[], integer), siem_failed(text), siem_status() FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION siem_pending(integer), siem_shipped(uuid[], bigint[], integer), siem_failed(text), siem_status() TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER IF EXISTS audit_events_siem_due ON audit_events;
      DROP FUNCTION IF EXISTS audit_events_mark_siem_due(), siem_pending(integer), siem_shipped(uuid[], bigint[], integer), siem_failed(text), siem_status();
      DROP TABLE IF EXISTS siem_due, siem_cursor, siem_progress;
    `);
  }
}
