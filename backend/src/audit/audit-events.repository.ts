import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import type { AuditDbRow } from './audit-row.js';

/** The chain head of one subject as audit_chain_heads holds it. */
export interface ChainHead {
  seq: number;
  hash: string;
}

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

  /** Locks the heads of these subjects in one statement, in subject order (audit_chain_heads_for), starting a chain where none is. */
  async lockHeads(subjectIds: readonly string[]): Promise<Map<string, ChainHead>> {
    const heads = await this.db
      .manager()
      .query<Array<{ subject_id: string; seq: string; hash: string }>>('SELECT subject_id, seq, hash FROM audit_chain_heads_for($1::uuid[])', [subjectIds]);
    return new Map(heads.map((head) => [head.subject_id, { seq: Number(head.seq), hash: head.hash }]));
  }

  /** Appends rows whose seq and hashes continue the heads just locked. No RETURNING: the caller's RLS context may not be allowed to read the rows it appends. */
  async append(events: readonly AuditEvent[]): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO audit_events (subject_id, seq, occurred_at, actor_id, actor_role, action, outcome, reason,
         record_id, consent_id, ip, user_agent, request_id, prev_hash, hash)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::uuid[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::uuid[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])`,
      [
        events.map((e) => e.subjectId),
        events.map((e) => e.seq),
        events.map((e) => e.occurredAt),
        events.map((e) => e.actorId),
        events.map((e) => e.actorRole),
        events.map((e) => e.action),
        events.map((e) => e.outcome),
        events.map((e) => e.reason),
        events.map((e) => e.recordId),
        events.map((e) => e.consentId),
        events.map((e) => e.ip),
        events.map((e) => e.userAgent),
        events.map((e) => e.requestId),
        events.map((e) => e.prevHash),
        events.map((e) => e.hash),
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
