import { Injectable } from '@nestjs/common';
import { AUDIT_GENESIS_HASH, ERROR_CODES, type AuditAction, type AuditEvent, type AuditHead, type AuditPage, type AuditQuery } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { decodeCursorMembers, encodeCursorMembers, isIssuedTime, isSequenceNumber, isUuid } from '../common/page-cursor.js';
import { AttemptOwners } from './attempt-owners.js';
import { AuditEventsRepository, type AuditRowFilter } from './audit-events.repository.js';
import { AuditReadRecorder } from './audit-read-recorder.js';
import { AuditService } from './audit.service.js';
import { auditRowToEvent, type AuditDbRow } from './audit-row.js';

const DEFAULT_PAGE = 50;
/** Rows one export may hold; a larger trail is exported in date ranges. */
export const MAX_EXPORT_ROWS = 50_000;

/**
 * Reading the trail (DESIGN 7): a patient reads their own trail, a doctor the
 * rows of their own actions, an auditor everyone's. RLS enforces the same.
 */
@Injectable()
export class AuditReadService {
  constructor(
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

  /** Every row the filters select, newest first, up to MAX_EXPORT_ROWS (413 beyond). */
  async all(user: AuthUser, query: AuditQuery): Promise<AuditEvent[]> {
    await this.refuseOtherTrail(user, query.subjectId, 'audit.export');
    await this.reads.record(user, 'audit.export', query);
    const rows = await this.select(user, { ...query, cursor: undefined }, MAX_EXPORT_ROWS + 1);
    if (rows.length > MAX_EXPORT_ROWS) {
      throw new ApiError(413, ERROR_CODES.payloadTooLarge, `More than ${MAX_EXPORT_ROWS} rows match; export a shorter date range`);
    }
    return rows.map(auditRowToEvent);
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
  private async refuseOtherTrail(user: AuthUser, subjectId: string | undefined, action: Extract<AuditAction, `audit.${string}`>): Promise<void> {
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
