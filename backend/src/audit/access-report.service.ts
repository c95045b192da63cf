import { Injectable } from '@nestjs/common';
import {
  ACCESS_REPORT_MAX_MS,
  ACCESS_REPORT_MAX_YEARS,
  ACCESS_REPORT_PAGE_DEFAULT,
  disclosureBasis,
  type AccessReportPage,
  type AccessReportQuery,
  type AuditActorRole,
} from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { decodeCursorMembers, encodeCursorMembers, isIssuedTime, isSequenceNumber } from '../common/page-cursor.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditPeopleRepository } from './audit-people.repository.js';
import { AuditService } from './audit.service.js';

/**
 * The accounting of disclosures (HIPAA 164.528; docs/protocol.md "Access report"): a patient's
 * own trail, its allowed reads of records by anyone else, a page at a time, with who read and on
 * what basis. The browser writes the report; asking for its first page is filed in the trail.
 */
@Injectable()
export class AccessReportService {
  constructor(
    private readonly events: AuditEventsRepository,
    private readonly people: AuditPeopleRepository,
    private readonly audit: AuditService,
  ) {}

  async page(user: AuthUser, query: AccessReportQuery): Promise<AccessReportPage> {
    assertPeriod(query.from, query.to);
    const after = query.cursor === undefined ? null : decodeReportCursor(query.cursor);
    if (after === null) await this.audit.allowNow({ subjectId: user.userId, action: 'audit.access-report', reason: `period ${query.from} to ${query.to}` });
    const limit = query.limit ?? ACCESS_REPORT_PAGE_DEFAULT;
    const rows = await this.events.selectDisclosures(user.userId, query.from, query.to, after, limit + 1);
    const page = rows.slice(0, limit);
    const actorIds = [...new Set(page.map((row) => row.actor_id as string))];
    const names = new Map((actorIds.length ? await this.people.people(user.userId, actorIds) : []).map((person) => [person.id, person.display_name]));
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        seq: Number(row.seq),
        hash: row.hash,
        occurredAt: row.occurred_at.toISOString(),
        actorId: row.actor_id as string,
        actorName: names.get(row.actor_id as string) ?? null,
        actorRole: row.actor_role as AuditActorRole | null,
        recordId: row.record_id as string,
        consentId: row.consent_id,
        reason: row.reason,
        basis: disclosureBasis(row.reason),
      })),
      nextCursor: rows.length > limit && last ? encodeCursorMembers([last.occurred_at.toISOString(), Number(last.seq)]) : null,
    };
  }
}

/** from before to, at most ACCESS_REPORT_MAX_YEARS apart. */
function assertPeriod(from: string, to: string): void {
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0) throw ApiError.validation([{ field: 'to', message: 'to must be after from' }]);
  if (span > ACCESS_REPORT_MAX_MS) throw ApiError.validation([{ field: 'to', message: `the period from from to to may be at most ${ACCESS_REPORT_MAX_YEARS} years long` }]);
}

function decodeReportCursor(cursor: string): { occurredAt: string; seq: number } {
  return decodeCursorMembers(cursor, ([occurredAt, seq]) => (isIssuedTime(occurredAt) && isSequenceNumber(seq) ? { occurredAt, seq } : null));
}
