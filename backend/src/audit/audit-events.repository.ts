import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import type { AuditDbRow } from './audit-row.js';

/** The chain head of one subject as audit_chain_heads holds it. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * A row to append, before its chain position is known: its fields (all but seq and
 * occurredAt, which the batch shares) and its canonical text (canonicalAuditRow) split around
 * the seq, which the database fills in.
 */
export type ChainedRow = Omit<AuditEvent, 'seq' | 'occurredAt' | 'prevHash' | 'hash'> & {
  canonicalBeforeSeq: string;
  canonicalAfterSeq: string;
};

/** Which rows of audit_events a read selects; every member given narrows it. */
export interface AuditRowFilter {
  /** Rows of this subject's trail only. */
  subjectId?: string;
  /** Rows of this account's trail, or rows it acted in (a doctor's own access history lies in the patients' trails). */
  subjectOrActorId?: string;
  actorId?: string;
  action?: string;
  outcome?: string;
  recordId?: string;
  /** occurred_at at or after this time. */
  from?: string;
  /** occurred_at before this time. */
  to?: string;
  /** Rows after this one in the order newest first (a page cursor). */
  before?: { occurredAt: string; subjectId: string; seq: number };
}

/**
 * The SQL of the audit trail (migrations 1764000000000, 1765100000000,
 * 1765120000000): `audit_events` and the chain heads in `audit_chain_heads`.
 * Rows are appended, never changed; the database refuses anything else. Runs
 * in the caller's transaction under its RLS context: anyone may append, the
 * subject reads its trail, the auditor every trail.
 */
@Injectable()
export class AuditEventsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Appends rows to their subjects' chains in one statement (audit_append, migration
   * 1765730000000): the heads of all their subjects are locked in subject order, and each row,
   * in the order given, takes the next seq of its subject and is hashed by the database over its
   * canonical text, which the caller gives as the parts before and after the seq. No RETURNING:
   * the caller's RLS context may not be allowed to read the rows it appends.
   */
  async appendChained(occurredAt: string, rows: readonly ChainedRow[]): Promise<void> {
    await this.db.manager().query(
      `SELECT audit_append($1::uuid[], $2::text[], $3::text[], $4::timestamptz, $5::uuid[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::uuid[], $11::uuid[], $12::text[], $13::text[], $14::text[])`,
      [
        rows.map((r) => r.subjectId),
        rows.map((r) => r.canonicalBeforeSeq),
        rows.map((r) => r.canonicalAfterSeq),
        occurredAt,
        rows.map((r) => r.actorId),
        rows.map((r) => r.actorRole),
        rows.map((r) => r.action),
        rows.map((r) => r.outcome),
        rows.map((r) => r.reason),
        rows.map((r) => r.recordId),
        rows.map((r) => r.consentId),
        rows.map((r) => r.ip),
        rows.map((r) => r.userAgent),
        rows.map((r) => r.requestId),
      ],
    );
  }

  /** The subject's head, as far as the caller may read it (RLS); null before the first row. */
  async head(subjectId: string): Promise<ChainHead | null> {
    const [row] = await this.db.manager().query<Array<{ seq: string; hash: string }>>('SELECT seq, hash FROM audit_chain_heads WHERE subject_id = $1', [subjectId]);
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  }

  /** Whether a subject's trail exists, whoever asks (a definer function: only auditors read others' heads). */
  async trailExists(subjectId: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ exists: boolean }>>('SELECT audit_trail_exists($1) AS exists', [subjectId]);
    return row?.exists === true;
  }

  /** Rows the filter selects, newest first, at most `limit`. */
  async select(filter: AuditRowFilter, limit: number): Promise<AuditDbRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.subjectId !== undefined) add('subject_id = ?', filter.subjectId);
    if (filter.subjectOrActorId !== undefined) {
      params.push(filter.subjectOrActorId);
      where.push(`(subject_id = $${params.length} OR actor_id = $${params.length})`);
    }
    if (filter.actorId) add('actor_id = ?', filter.actorId);
    if (filter.action) add('action = ?', filter.action);
    if (filter.outcome) add('outcome = ?', filter.outcome);
    if (filter.recordId) add('record_id = ?', filter.recordId);
    if (filter.from) add('occurred_at >= ?', filter.from);
    if (filter.to) add('occurred_at < ?', filter.to);
    if (filter.before) {
      params.push(filter.before.occurredAt, filter.before.subjectId, filter.before.seq);
      where.push(`(occurred_at, subject_id, seq) < ($${params.length - 2}, $${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY occurred_at DESC, subject_id DESC, seq DESC LIMIT $${params.length}`;
    return await this.db.manager().query<AuditDbRow[]>(sql, params);
  }
}
