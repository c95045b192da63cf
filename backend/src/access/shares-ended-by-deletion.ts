import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ConsentsRepository } from './consents.repository.js';
import { RecordsRepository } from './records.repository.js';
import { TrustedContactsRepository } from './trusted-contacts.repository.js';

/**
 * What a deletion ends besides its own rows. The database deletes the consents over a record
 * or a folder, and the trusted contacts over a folder, with it (ON DELETE CASCADE); ended that
 * way, they left no row in the trail and a doctor's wraps of the folder's trashed records
 * behind. Called in the deleting transaction before the rows go, this ends each as a patient's
 * revocation or removal does, with the reason in the trail: in `subjectId`'s trail, by whoever
 * the transaction acts for (the patient, or the trash's purge as `system`).
 */
@Injectable()
export class SharesEndedByDeletion {
  constructor(
    private readonly audit: AuditService,
    private readonly consents: ConsentsRepository,
    private readonly records: RecordsRepository,
    private readonly contacts: TrustedContactsRepository,
  ) {}

  /** Before a record is deleted: the record-scoped consents still active (its wraps go with the record). */
  async ofRecord(subjectId: string, recordId: string, why: string): Promise<void> {
    await this.revoke(subjectId, await this.consents.activeIdsOf({ recordId }), `its record ${recordId} was ${why}`);
  }

  /** Before a folder is deleted, while its trashed records are still in it: its consents and its trusted contacts. */
  async ofFolder(subjectId: string, folderId: string): Promise<void> {
    const reason = `its folder ${folderId} was deleted`;
    await this.revoke(subjectId, await this.consents.activeIdsOf({ folderId }), reason);
    for (const contact of await this.contacts.ofFolder(folderId)) {
      await this.audit.allow({ subjectId, action: 'contact.removed', reason: `contact ${contact.contactId}: ${reason}` });
    }
  }

  /** As ConsentsService.revoke: marked revoked, the doctor's wraps no other consent in force covers removed, audited. */
  private async revoke(subjectId: string, consentIds: string[], reason: string): Promise<void> {
    for (const consentId of consentIds) {
      await this.consents.markRevoked(consentId, new Date());
      await this.records.removeUncoveredWraps(consentId);
      await this.audit.allow({ subjectId, action: 'consent.revoke', consentId, reason });
    }
  }
}
