import { HttpException, Injectable } from '@nestjs/common';
import { canonicalAuditRow, type AuditAction, type AuditEvent, type AuditOutcome } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import type { AuditActor, RequestMeta } from '../db/request-context.js';
import { AuditEventsRepository, type ChainedRow } from './audit-events.repository.js';

export interface AuditEntry {
  subjectId: string;
  action: AuditAction;
  outcome: AuditOutcome;
  reason?: string;
  recordId?: string;
  consentId?: string;
}

/** An entry waiting for its transaction's commit, with who acted and from where, taken when it was queued. */
interface QueuedEntry {
  entry: AuditEntry;
  actor: AuditActor;
  meta: RequestMeta;
}

const QUEUE = Symbol('audit rows of this transaction');

/**
 * The only writer of audit rows (DESIGN 7). An allowed action is recorded in
 * the action's own transaction, so if the row cannot be written the action
 * fails. A denial is recorded after the request's rollback, in a transaction
 * of its own.
 *
 * Rows are queued while the work runs and written together just before COMMIT,
 * in one statement (audit_append): the chain heads of all their subjects are
 * locked in the order of the subject ids, so two transactions that append to
 * the same patients (two doctors listing overlapping patients) queue behind
 * each other and never deadlock, and a head stays locked only for that
 * statement and the COMMIT. A transaction that fails for a reason of the server (not a
 * refusal the API decided) files its rows as denials "not completed", so no
 * attempt goes unrecorded.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly events: AuditEventsRepository,
  ) {}

  /** Records an allowed action in the current transaction. */
  allow(entry: Omit<AuditEntry, 'outcome'>): Promise<void> {
    this.queue({ ...entry, outcome: 'allow' });
    return Promise.resolve();
  }

  /** Records a denial; it is written even though the request then fails. */
  deny(entry: Omit<AuditEntry, 'outcome'> & { reason: string }): void {
    this.db.deferWrite(() => {
      this.queue({ ...entry, outcome: 'deny' });
      return Promise.resolve();
    });
  }

  /** Records an entry in the current transaction as it is; for use inside deferred writes and jobs. */
  record(entry: AuditEntry): Promise<void> {
    this.queue(entry);
    return Promise.resolve();
  }

  /**
   * Writes an allowed action at once, before the rest of the transaction runs,
   * for a read that must show itself (an auditor's read of a trail). Only for
   * a transaction that writes no other audit row: rows written now take their
   * subject's lock outside the global order of the commit-time batch.
   */
  async allowNow(entry: Omit<AuditEntry, 'outcome'>): Promise<void> {
    await this.write([this.queued({ ...entry, outcome: 'allow' })]);
  }

  private queue(entry: AuditEntry): void {
    const queued = this.db.local(QUEUE, () => {
      const rows: QueuedEntry[] = [];
      this.db.atCommit(() => this.appendStatement(rows.splice(0)));
      this.db.onFailure((error) => this.fileUnfinished(rows.splice(0), error));
      return rows;
    });
    queued.push(this.queued(entry));
  }

  private queued(entry: AuditEntry): QueuedEntry {
    return { entry: canonicalIds(entry), actor: this.db.auditActor(), meta: this.db.meta() };
  }

  /**
   * A request that failed for a reason of the server (database down, timeout,
   * a bug) still leaves its attempts in the trail, as denials that say so.
   * Refusals the API decided (HttpException) file their own denials.
   */
  private fileUnfinished(rows: QueuedEntry[], error: unknown): void {
    if (error instanceof HttpException || rows.length === 0) return;
    const why = error instanceof Error && error.name === 'DependencyUnavailable' ? 'a dependency was unavailable' : 'a server error';
    this.db.deferWrite(() => {
      for (const { entry } of rows) {
        this.queue({ ...entry, outcome: 'deny', reason: `not completed: ${why}${entry.reason ? `; ${entry.reason}` : ''}` });
      }
      return Promise.resolve();
    });
  }

  /**
   * One statement (audit_append) locks the heads of every subject in subject order, numbers
   * the rows, hashes them and moves the heads; it runs just before COMMIT, so a head is held for
   * that statement and the commit only. The canonical text is built here, by the same
   * canonicalAuditRow the portal verifies with, and split around the seq, which only the
   * locked head can tell.
   */
  private async write(rows: QueuedEntry[]): Promise<void> {
    if (rows.length === 0) return;
    const occurredAt = new Date().toISOString();
    await this.events.appendChained(occurredAt, chainedRows(rows, occurredAt));
  }

  /** The same audit_append for the rows queued by the transaction, sent in its COMMIT's message (Db.atCommit); null for none. */
  private appendStatement(rows: QueuedEntry[]): string | null {
    if (rows.length === 0) return null;
    const occurredAt = new Date().toISOString();
    return this.events.appendChainedStatement(occurredAt, chainedRows(rows, occurredAt));
  }
}

function chainedRows(rows: readonly QueuedEntry[], occurredAt: string): ChainedRow[] {
  return rows.map(({ entry, actor, meta }) => chainedRow(entry, actor, meta, occurredAt));
}

/** The seq that stands in the canonical text while it is split; any number that JSON writes as itself. */
const SEQ_PLACEHOLDER = 0;

/** A queued entry as audit_append takes it: its fields and its canonical text before and after the seq. */
export function chainedRow(entry: AuditEntry, actor: AuditActor, meta: RequestMeta, occurredAt: string): ChainedRow {
  const row: Omit<AuditEvent, 'hash' | 'prevHash'> = {
    subjectId: entry.subjectId,
    seq: SEQ_PLACEHOLDER,
    occurredAt,
    actorId: actor.userId?.toLowerCase() ?? null,
    actorRole: actor.role,
    action: entry.action,
    outcome: entry.outcome,
    reason: entry.reason ?? null,
    recordId: entry.recordId ?? null,
    consentId: entry.consentId ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
  };
  const canonical = canonicalAuditRow(row);
  // canonicalAuditRow is a JSON array whose first two elements are the version and the subject.
  const beforeSeq = JSON.stringify([1, row.subjectId]).slice(0, -1);
  const seqText = `,${SEQ_PLACEHOLDER},`;
  if (!canonical.startsWith(beforeSeq + seqText)) throw new Error('canonicalAuditRow no longer starts with the version, subject and seq');
  const { seq: _seq, occurredAt: _occurredAt, ...fields } = row;
  return { ...fields, canonicalBeforeSeq: beforeSeq, canonicalAfterSeq: canonical.slice(beforeSeq.length + seqText.length) };
}

/**
 * Ids enter the hash as PostgreSQL stores them (lower case, DESIGN 7): an id
 * received in upper case must not make the stored row hash differently.
 */
function canonicalIds(entry: AuditEntry): AuditEntry {
  return {
    ...entry,
    subjectId: entry.subjectId.toLowerCase(),
    recordId: entry.recordId?.toLowerCase(),
    consentId: entry.consentId?.toLowerCase(),
  };
}
