import { Injectable } from '@nestjs/common';
import { AUDIT_GENESIS_HASH, type AuditAction, type AuditEvent, type AuditHead, type AuditPage, type AuditQuery } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';
import { requestScopeStorage } from '../db/request-context.js';
import { decodeCursorMembers, encodeCursorMembers, isIssuedTime, isSequenceNumber, isUuid } from '../common/page-cursor.js';
import { AttemptOwners } from './attempt-owners.js';
import { AuditEventsRepository, type AuditRowFilter } from './audit-events.repository.js';
import { AuditReadRecorder } from './audit-read-recorder.js';
import { AuditService } from './audit.service.js';
import { auditRowToEvent, type AuditDbRow } from './audit-row.js';

const DEFAULT_PAGE = 50;
/** Rows an export reads per transaction while it streams. */
const EXPORT_BATCH_ROWS = 2_000;

/**
 * Reading the trail (DESIGN 7): a patient reads their own trail, a doctor the
 * rows of their own actions, an auditor everyone's. RLS enforces the same.
 */
@Injectable()
export class AuditReadService {
  constructor(
    private readonly db: Db,
    private readonly events: AuditEventsRepository,
    private readonly reads: AuditReadRecorder,
    private readonly owners: AttemptOwners,
    private readonly audit: AuditService,
  ) {}

  async page(user: AuthUser, query: AuditQuery): Promise<AuditPage> {
    if (query.afterSeq !== undefined) assertWholeChain(query);
    await this.refuseOtherTrail(user, query.subjectId, 'audit.read');
    await this.reads.record(user, 'audit.read', query);
    const limit = query.limit ?? DEFAULT_PAGE;
    if (query.afterSeq !== undefined) return this.chainPage(user, query.subjectId, query.cursor ? decodeChainCursor(query.cursor) : query.afterSeq, limit);
    const rows = await this.select(user, query, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(auditRowToEvent),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  /**
   * Every row the filters select, newest first, in batches read as the consumer asks for them:
   * an export of millions of rows holds one batch at a time, never the whole trail. The first
   * batch comes with the checks and the auditor's read row, in the request's transaction; each
   * later one in a short transaction of its own under the same caller (keyset cursor on the
   * sort key), so no connection is held while the client downloads.
   */
  async exportBatches(user: AuthUser, query: AuditQuery): Promise<AsyncGenerator<AuditEvent[]>> {
    const scope = requestScopeStorage.getStore();
    if (!scope) throw new Error('exportBatches runs in a handler marked @OwnTransactions()');
    const first = await this.db.transaction(async () => {
      await this.refuseOtherTrail(user, query.subjectId, 'audit.export');
      await this.reads.record(user, 'audit.export', query);
      return this.select(user, { ...query, cursor: undefined }, EXPORT_BATCH_ROWS);
    });
    const next = (after: AuditDbRow) =>
      this.db.run(scope.actor, scope.meta, () => this.select(user, { ...query, cursor: encodeCursor(after) }, EXPORT_BATCH_ROWS));
    async function* batches(): AsyncGenerator<AuditEvent[]> {
      let rows = first;
      while (rows.length) {
        yield rows.map(auditRowToEvent);
        const last = rows.at(-1);
        rows = rows.length === EXPORT_BATCH_ROWS && last ? await next(last) : [];
      }
    }
    return batches();
  }

  /** One chain's rows after a seq, oldest first: what a client that verified the chain up to that row still needs. */
  private async chainPage(user: AuthUser, subjectId: string | undefined, afterSeq: number, limit: number): Promise<AuditPage> {
    const subject = user.role === 'auditor' ? (subjectId ?? user.userId) : user.userId;
    const rows = await this.events.selectChain(subject, afterSeq, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(auditRowToEvent), nextCursor: rows.length > limit && last ? encodeCursorMembers([Number(last.seq)]) : null };
  }

  async head(user: AuthUser, subjectId: string | undefined): Promise<AuditHead> {
    await this.refuseOtherTrail(user, subjectId, 'audit.head');
    const subject = user.role === 'auditor' ? (subjectId ?? user.userId) : user.userId;
    await this.reads.record(user, 'audit.head', { subjectId: subject });
    const head = await this.events.head(subject);
    return { subjectId: subject, seq: head?.seq ?? 0, hash: head?.hash ?? AUDIT_GENESIS_HASH };
  }

  /**
   * Only an auditor reads another subject's trail. Anyone else's attempt is
   * refused (403) and filed in that subject's trail (or the caller's own, when
   * the id names no trail).
   */
  async refuseOtherTrail(user: AuthUser, subjectId: string | undefined, action: Extract<AuditAction, `audit.${string}`>): Promise<void> {
    if (user.role === 'auditor' || subjectId === undefined || subjectId.toLowerCase() === user.userId) return;
    const subject = (await this.owners.hasTrail(subjectId)) ? subjectId : user.userId;
    this.audit.deny({ subjectId: subject, action, reason: `role ${user.role} may not read the trail of ${subjectId.toLowerCase()}` });
    throw ApiError.forbidden('Only an auditor reads another subject’s trail');
  }

  private select(user: AuthUser, query: AuditQuery, limit: number): Promise<AuditDbRow[]> {
    const filter: AuditRowFilter = {
      actorId: query.actorId,
      action: query.action,
      outcome: query.outcome,
      recordId: query.recordId,
      from: query.from,
      to: query.to,
      before: query.cursor ? decodeCursor(query.cursor) : undefined,
    };
    // Whose rows: the role decides, the filters narrow.
    if (user.role === 'auditor') {
      if (query.subjectId) filter.subjectId = query.subjectId;
    } else if (user.role === 'doctor') {
      // A doctor's own access history is filed in the patients' trails, with the doctor as actor.
      filter.subjectOrActorId = user.userId;
    } else {
      filter.subjectId = user.userId;
    }
    return this.events.select(filter, limit);
  }
}

/** Filters that would leave gaps in a chain read with afterSeq. */
const NOT_WITH_AFTER_SEQ = ['actorId', 'action', 'outcome', 'recordId', 'from', 'to'] as const;

function assertWholeChain(query: AuditQuery): void {
  const given = NOT_WITH_AFTER_SEQ.filter((name) => query[name] !== undefined);
  if (given.length) throw ApiError.validation(given.map((field) => ({ field, message: `${field} cannot be combined with afterSeq, which reads a whole chain` })));
}

/** The cursor of a chain read: the seq of the page's last row. */
function decodeChainCursor(cursor: string): number {
  return decodeCursorMembers(cursor, ([seq]) => (isSequenceNumber(seq) ? seq : null));
}

/** The page cursor of the trail: (occurred_at, subject_id, seq) of the page's last row. */
function encodeCursor(row: AuditDbRow): string {
  return encodeCursorMembers([row.occurred_at.toISOString(), row.subject_id, Number(row.seq)]);
}

function decodeCursor(cursor: string): NonNullable<AuditRowFilter['before']> {
  return decodeCursorMembers(cursor, ([occurredAt, subjectId, seq]) =>
    isIssuedTime(occurredAt) && isUuid(subjectId) && isSequenceNumber(seq) ? { occurredAt, subjectId, seq } : null,
  );
}
