import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import { sqlLiteral } from '../db/account-liveness.js';
import { prepared } from '../db/prepared-statements.js';
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
    await this.db.manager().query(AUDIT_APPEND_SQL, appendParameters(occurredAt, rows));
  }

  /**
   * The same audit_append as appendChained as one complete statement, its values as literals,
   * for the message that also carries the transaction's COMMIT (Db.atCommit). The canonical
   * texts travel as literals exactly as they would as parameters (node-postgres quoting), so
   * the hashes are the same (audit-append.spec.ts).
   */
  appendChainedStatement(occurredAt: string, rows: readonly ChainedRow[]): string {
    const values = appendParameters(occurredAt, rows).map((value, index) => {
      const type = AUDIT_APPEND_TYPES[index];
      return Array.isArray(value) ? `ARRAY[${value.map((element: string | null) => sqlLiteral(element)).join(', ')}]::${type}` : `${sqlLiteral(value)}::${type}`;
    });
    return `SELECT audit_append(${values.join(', ')})`;
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

  /**
   * Rows the filter selects, newest first, at most `limit`. Each shape has an index that ends in the
   * page order (migration 1765740000000), so a page is one range scan that stops after `limit` rows.
   * A doctor's rows (their own trail, or rows they acted in elsewhere) are two such scans merged.
   */
  async select(filter: AuditRowFilter, limit: number): Promise<AuditDbRow[]> {
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const order = 'ORDER BY occurred_at DESC, subject_id DESC, seq DESC';
    if (filter.subjectOrActorId !== undefined) {
      const own = pageConditions({ ...filter, subjectId: filter.subjectOrActorId }, bind);
      const self = bind(filter.subjectOrActorId);
      const acted = pageConditions({ ...filter, actorId: filter.actorId ?? filter.subjectOrActorId }, bind);
      if (filter.actorId !== undefined) acted.push(`actor_id = ${self}`);
      const max = bind(limit);
      return await this.db.manager().query<AuditDbRow[]>(
        `SELECT * FROM ((SELECT * FROM audit_events WHERE ${own.join(' AND ')} ${order} LIMIT ${max})
           UNION ALL (SELECT * FROM audit_events WHERE ${[...acted, `subject_id <> ${self}`].join(' AND ')} ${order} LIMIT ${max})) AS rows
         ${order} LIMIT ${max}`,
        params,
      );
    }
    const where = pageConditions(filter, bind);
    const max = bind(limit);
    return await this.db.manager().query<AuditDbRow[]>(`SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order} LIMIT ${max}`, params);
  }

  /**
   * The accounting of disclosures (docs/protocol.md "Access report"): the subject's allowed
   * `record.read` rows whose actor is someone else, with occurred_at in [from, to), oldest
   * first, after the keyset `after` (occurred_at, seq). The indexes of migration 1765740000000
   * that end in (occurred_at, seq) serve it as one range scan read backwards that stops after
   * `limit` rows, skipping only the subject's own reads and refusals; no index was added
   * (disclosures.spec.ts checks the plan among 200 000 rows).
   */
  async selectDisclosures(subjectId: string, from: string, to: string, after: { occurredAt: string; seq: number } | null, limit: number): Promise<AuditDbRow[]> {
    // The cursor's time is a lower bound the index starts at; the row comparison skips the rows up to the cursor at that time (seq >= 1, so -1 skips none).
    return await this.db.manager().query<AuditDbRow[]>(
      `SELECT * FROM audit_events
        WHERE subject_id = $1 AND action = 'record.read' AND outcome = 'allow' AND actor_id IS NOT NULL AND actor_id <> $1
          AND occurred_at >= $2 AND occurred_at < $3 AND (occurred_at, seq) > ($2::timestamptz, $4::bigint)
        ORDER BY occurred_at, seq LIMIT $5`,
      [subjectId, after?.occurredAt ?? from, to, after?.seq ?? -1, limit],
    );
  }

  /** One subject's rows after `afterSeq`, in chain order, at most `limit` (the primary key's order). */
  async selectChain(subjectId: string, afterSeq: number, limit: number): Promise<AuditDbRow[]> {
    return await this.db
      .manager()
      .query<AuditDbRow[]>('SELECT * FROM audit_events WHERE subject_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [subjectId, afterSeq, limit]);
  }
}

/** The WHERE conditions of a filter (without subjectOrActorId), binding each value once. */
function pageConditions(filter: AuditRowFilter, bind: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (filter.subjectId !== undefined) where.push(`subject_id = ${bind(filter.subjectId)}`);
  if (filter.actorId) where.push(`actor_id = ${bind(filter.actorId)}`);
  if (filter.action) where.push(`action = ${bind(filter.action)}`);
  if (filter.outcome) where.push(`outcome = ${bind(filter.outcome)}`);
  if (filter.recordId) where.push(`record_id = ${bind(filter.recordId)}`);
  if (filter.from) where.push(`occurred_at >= ${bind(filter.from)}`);
  if (filter.to) where.push(`occurred_at < ${bind(filter.to)}`);
  if (filter.before) {
    const time = bind(filter.before.occurredAt);
    // The row comparison is the cursor; the time bound alone lets indexes that lead with other columns start at the cursor.
    where.push(`occurred_at <= ${time}`, `(occurred_at, subject_id, seq) < (${time}, ${bind(filter.before.subjectId)}, ${bind(filter.before.seq)})`);
  }
  return where;
}

/** audit_append's argument types (migration 1765730000000), in its order. */
const AUDIT_APPEND_TYPES = ['uuid[]', 'text[]', 'text[]', 'timestamptz', 'uuid[]', 'text[]', 'text[]', 'text[]', 'text[]', 'uuid[]', 'uuid[]', 'text[]', 'text[]', 'text[]'] as const;
const AUDIT_APPEND_SQL = prepared(`SELECT audit_append(${AUDIT_APPEND_TYPES.map((type, index) => `$${index + 1}::${type}`).join(', ')})`);

/** audit_append's arguments for `rows`, in its order. */
function appendParameters(occurredAt: string, rows: readonly ChainedRow[]): [string[], string[], string[], string, ...Array<Array<string | null>>] {
  return [
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
  ];
}
