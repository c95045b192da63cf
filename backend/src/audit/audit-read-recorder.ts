import { Injectable } from '@nestjs/common';
import type { AuditAction, AuditQuery } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { AttemptOwners } from './attempt-owners.js';
import { AuditService } from './audit.service.js';

/** The filters a reason names: validated ids, actions, outcomes and times, never free text. */
const NAMED_FILTERS = ['actorId', 'action', 'outcome', 'recordId', 'from', 'to'] as const;

/**
 * Reading the trail is itself audited (ASVS 8.3.5) when it can show someone
 * else's rows, that is when an auditor reads any trail but their own:
 * - one subject's trail (`subjectId`): a row in that subject's trail, so a
 *   patient sees that an auditor looked (a subject with no trail yet gets no
 *   chain started for it: the row goes to the auditor's own trail);
 * - all trails: a row in the auditor's own trail.
 * A patient reading their own trail, or a doctor their own actions, sees
 * nothing new and is not recorded: the portal reads the trail on every visit
 * while it verifies the chain, and such rows would only grow it.
 * The row is written in the read's transaction before the rows are selected,
 * so the read shows itself and a failed write fails the read.
 */
@Injectable()
export class AuditReadRecorder {
  constructor(
    private readonly owners: AttemptOwners,
    private readonly audit: AuditService,
  ) {}

  /** An auditor's page of the list of accounts (GET /audit/accounts): a row in their own trail. */
  async recordAccountList(user: AuthUser): Promise<void> {
    await this.audit.allowNow({ subjectId: user.userId, action: 'audit.read', reason: 'the list of accounts' });
  }

  async record(user: AuthUser, action: Extract<AuditAction, `audit.${string}`>, query: AuditQuery): Promise<void> {
    if (user.role !== 'auditor' || query.subjectId === user.userId) return;
    const filters = NAMED_FILTERS.filter((name) => query[name] !== undefined).map((name) => `${name}=${String(query[name])}`);
    const suffix = filters.length ? `; ${filters.join(', ')}` : '';
    if (query.subjectId && (await this.owners.hasTrail(query.subjectId))) {
      await this.audit.allowNow({ subjectId: query.subjectId, action, reason: `one trail${suffix}` });
    } else {
      const scope = query.subjectId ? `the empty trail of ${query.subjectId}` : 'all trails';
      await this.audit.allowNow({ subjectId: user.userId, action, reason: `${scope}${suffix}` });
    }
  }
}
