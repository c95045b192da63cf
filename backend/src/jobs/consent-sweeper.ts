import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ConsentsRepository } from '../access/consents.repository.js';
import { ConsentsService } from '../consents/consents.service.js';

const BATCH = 100;

/**
 * Ends consents past their expiry (DESIGN 5): an expired consent already
 * counts as revoked at every check; this marks it expired and removes the
 * doctor's wraps that no other active consent covers. It changes the rows
 * under the patient's RLS context; its audit rows name it as actor `system`.
 */
@Injectable()
export class ConsentSweeper {
  constructor(
    private readonly db: Db,
    private readonly consents: ConsentsService,
    private readonly consentRows: ConsentsRepository,
    private readonly audit: AuditService,
  ) {}

  /** Returns the ids of the consents it ended. */
  async sweep(): Promise<string[]> {
    const expired = await this.db.runAsJob('consent-expiry', ANONYMOUS, async () => {
      return await this.consentRows.expiredBatch(BATCH);
    });
    for (const { id, patientId } of expired) {
      // RLS as the patient (the job changes only that patient's rows); the trail names the job.
      await this.db.runAsJob('consent-expiry', { userId: patientId, role: 'patient' }, async () => {
        if (!(await this.consents.expire(id))) return;
        await this.audit.allow({ subjectId: patientId, action: 'consent.expire', consentId: id, reason: 'expiry passed; wraps removed' });
      });
    }
    return expired.map((consent) => consent.id);
  }
}
