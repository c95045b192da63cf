import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ConsentEntity } from '../consents/consent.entity.js';
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
    private readonly audit: AuditService,
  ) {}

  /** Returns the ids of the consents it ended. */
  async sweep(): Promise<string[]> {
    const expired = await this.db.runAsJob('consent-expiry', ANONYMOUS, async () => {
      return await this.db.manager().query<Array<{ id: string; patient_id: string }>>('SELECT id, patient_id FROM expired_consents($1)', [BATCH]);
    });
    for (const { id, patient_id: patientId } of expired) {
      // RLS as the patient (the job changes only that patient's rows); the trail names the job.
      await this.db.runAsJob('consent-expiry', { userId: patientId, role: 'patient' }, async () => {
        const repository = this.db.manager().getRepository(ConsentEntity);
        const consent = await repository.findOneBy({ id, status: 'active' });
        if (!consent) return;
        await repository.update({ id }, { status: 'expired' });
        consent.status = 'expired';
        await this.consents.removeUncoveredWraps(consent);
        await this.audit.allow({ subjectId: patientId, action: 'consent.expire', consentId: id, reason: 'expiry passed; wraps removed' });
      });
    }
    return expired.map((consent) => consent.id);
  }
}
