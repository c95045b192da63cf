import { Injectable } from '@nestjs/common';
import type { ReportSecurityEventRequest } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { AuditService } from '../audit/audit.service.js';

/**
 * Security events the browser reports (docs/protocol.md "Client-side checks"):
 * each is one row of the caller's own trail, written in the request's
 * transaction, so a report the API answers 204 is on the record. A report
 * names only the caller's trail: no one files rows in another's.
 */
@Injectable()
export class SecurityEventsService {
  constructor(private readonly audit: AuditService) {}

  async report(caller: AuthUser, event: ReportSecurityEventRequest): Promise<void> {
    await this.audit.record({ subjectId: caller.userId, action: 'security.client-report', outcome: 'deny', reason: `${event.kind}: ${event.detail}` });
  }
}
