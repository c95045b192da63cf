import { Injectable } from '@nestjs/common';
import { AUDIT_GENESIS_HASH, ERROR_CODES, type AuditAction, type AuditEvent, type AuditHead, type AuditPage, type AuditQuery } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { isIssuedTime, isSequenceNumber, isUuid } from '../common/cursor-members.js';
import { Db } from '../db/db.service.js';
import { AttemptOwners } from './attempt-owners.js';
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
    private readonly db: Db,
    private readonly reads: AuditReadRecorder,
    private readonly owners: AttemptOwners,
    private readonly audit: AuditService,
  ) {}

  async page(user: AuthUser, query: AuditQuery): Promise<AuditPage> {
    await this.refuseOtherTrail(user, query.subjectId, 'audit.read');
    await this.reads.record(user, 'audit.read', query);
    const limit = query.limit ?? DEFAULT_PAGE;
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

  async head(user: AuthUser, subjectId: string | undefined): Promise<AuditHead> {
    await this.refuseOtherTrail(user, subjectId, 'audit.head');
    const subject = user.role === 'auditor' ? (subjectId ?? user.userId) : user.userId;
    await this.reads.record(user, 'audit.head', { subjectId: subject });
    const [row] = await this.db.manager().query<Array<{ seq: string; hash: string }>>('SELECT seq, hash FROM audit_chain_heads WHERE subject_id = $1', [subject]);
    return { subjectId: subject, seq: row ? Number(row.seq) : 0, hash: row?.hash ?? AUDIT_GENESIS_HASH };
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

  private async select(user: AuthUser, query: AuditQuery, limit: number): Promise<AuditDbRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    // Whose rows: the role decides, the filters narrow.
    if (user.role === 'auditor') {
      if (query.subjectId) add('subject_id = ?', query.subjectId);
    } else {
      // A doctor's own access history is filed in the patients' trails, with the doctor as actor.
      params.push(user.userId);
      where.push(user.role === 'doctor' ? `(subject_id = $${params.length} OR actor_id = $${params.length})` : `subject_id = $${params.length}`);
    }
    if (query.actorId) add('actor_id = ?', query.actorId);
    if (query.action) add('action = ?', query.action);
    if (query.outcome) add('outcome = ?', query.outcome);
    if (query.recordId) add('record_id = ?', query.recordId);
    if (query.from) add('occurred_at >= ?', query.from);
    if (query.to) add('occurred_at < ?', query.to);
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      params.push(cursor.occurredAt, cursor.subjectId, cursor.seq);
      where.push(`(occurred_at, subject_id, seq) < ($${params.length - 2}, $${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY occurred_at DESC, subject_id DESC, seq DESC LIMIT $${params.length}`;
    return await this.db.manager().query<AuditDbRow[]>(sql, params);
  }
}

function encodeCursor(row: AuditDbRow): string {
  return Buffer.from(JSON.stringify([row.occurred_at.toISOString(), row.subject_id, Number(row.seq)])).toString('base64url');
}

function decodeCursor(cursor: string): { occurredAt: string; subjectId: string; seq: number } {
  try {
    const [occurredAt, subjectId, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    if (isIssuedTime(occurredAt) && isUuid(subjectId) && isSequenceNumber(seq)) return { occurredAt, subjectId, seq };
  } catch {
    // fall through
  }
  throw ApiError.validation([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
}
