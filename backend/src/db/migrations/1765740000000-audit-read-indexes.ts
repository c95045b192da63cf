import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reading the trail at scale (issue 14): an index for each way a trail is
 * read, each ending in the page order, so that a page (newest first, keyset
 * cursor on (occurred_at, subject_id, seq)) is a range scan that stops after
 * `limit` rows, whatever the trail's size:
 *
 * - one subject's trail (a patient's own, an auditor's `subjectId`): by time,
 *   by action, by actor, its refusals; every trail: by time, by action, by
 *   actor, by record, the refusals. The refusals are a small share of the rows
 *   and the only outcome that is rare, so their indexes are partial; a filter
 *   on `allow` reads the time index and skips the few refusals.
 * - the browser's chain check reads rows after a seq in chain order: the
 *   primary key (subject_id, seq) already serves it.
 *
 * The two indexes of the first migrations (occurred_at) and (actor_id,
 * occurred_at) are replaced by ones that carry the whole sort key.
 */
export class AuditReadIndexes1765740000000 implements MigrationInterface {
  name = 'AuditReadIndexes1765740000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX audit_events_time;
      DROP INDEX audit_events_actor;
      CREATE INDEX audit_events_subject_time ON audit_events (subject_id, occurred_at DESC, seq DESC);
      CREATE INDEX audit_events_subject_action ON audit_events (subject_id, action, occurred_at DESC, seq DESC);
      CREATE INDEX audit_events_subject_actor ON audit_events (subject_id, actor_id, occurred_at DESC, seq DESC) WHERE actor_id IS NOT NULL;
      CREATE INDEX audit_events_subject_denials ON audit_events (subject_id, occurred_at DESC, seq DESC) WHERE outcome = 'deny';
      CREATE INDEX audit_events_time ON audit_events (occurred_at DESC, subject_id DESC, seq DESC);
      CREATE INDEX audit_events_action ON audit_events (action, occurred_at DESC, subject_id DESC, seq DESC);
      CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at DESC, subject_id DESC, seq DESC) WHERE actor_id IS NOT NULL;
      CREATE INDEX audit_events_record ON audit_events (record_id, occurred_at DESC, subject_id DESC, seq DESC) WHERE record_id IS NOT NULL;
      CREATE INDEX audit_events_denials ON audit_events (occurred_at DESC, subject_id DESC, seq DESC) WHERE outcome = 'deny';
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX audit_events_subject_time, audit_events_subject_action, audit_events_subject_actor, audit_events_subject_denials,
        audit_events_time, audit_events_action, audit_events_actor, audit_events_record, audit_events_denials;
      CREATE INDEX audit_events_time ON audit_events (occurred_at DESC);
      CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at DESC);
    `);
  }
}
