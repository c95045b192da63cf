import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type RewrapConsentRequest, type RewrapConsentResult } from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { RecordsRepository } from '../access/records.repository.js';
import { PublicKeysRepository } from '../users/public-keys.repository.js';
import { ConsentsRepository, type ConsentRow } from '../access/consents.repository.js';

/**
 * After a doctor replaced their key pair (docs/protocol.md "Key-pair
 * rotation"), the patient's browser re-makes the doctor's wraps of a consent
 * for the doctor's current key, in batches. The API takes them only from the
 * consent's patient, while it is active, for records in its scope, and made
 * for the key the doctor has now; each wrap replaces the stale one.
 */
@Injectable()
export class ConsentRewraps {
  constructor(
    private readonly audit: AuditService,
    private readonly owners: AttemptOwners,
    private readonly consents: ConsentsRepository,
    private readonly records: RecordsRepository,
    private readonly publicKeys: PublicKeysRepository,
  ) {}

  async rewrap(user: AuthUser, consentId: string, request: RewrapConsentRequest): Promise<RewrapConsentResult> {
    if (request.wraps.length === 0 && request.folderLabel === undefined) {
      throw ApiError.validation([{ field: 'wraps', message: 'wraps must name at least one record (or folderLabel be sent)' }]);
    }
    const consent = await this.consents.findOfPatient(consentId, user.userId);
    if (!consent) {
      const patient = await this.owners.ownerOf('consent', consentId);
      const isForeign = patient !== null && patient !== user.userId;
      this.audit.deny({ subjectId: isForeign ? patient : user.userId, action: 'consent.rewrap', reason: isForeign ? 'not the patient of this consent' : 'no such consent', consentId });
      throw ApiError.notFound('No such consent');
    }
    const status = consent.status;
    if (status !== 'active') {
      this.audit.deny({ subjectId: user.userId, action: 'consent.rewrap', consentId, reason: `consent is ${status}` });
      throw new ApiError(409, ERROR_CODES.consentNotActive, `This consent is ${status}`);
    }
    const doctorKey = await this.publicKeys.find(consent.doctorId);
    if (doctorKey?.fingerprint !== request.fingerprint) {
      this.audit.deny({ subjectId: user.userId, action: 'consent.rewrap', consentId, reason: `wraps made for key ${request.fingerprint}, not the doctor's current key` });
      throw new ApiError(409, ERROR_CODES.keyChanged, 'The wraps were made for another key than the doctor’s current one: prove the doctor’s key in the key directory again');
    }
    if (request.folderLabel !== undefined && consent.scope !== 'folder') {
      throw ApiError.validation([{ field: 'folderLabel', message: 'folderLabel is allowed for a consent of scope "folder" only' }]);
    }
    await this.assertInScope(consent, request, consentId);

    const recordIds = request.wraps.map((wrap) => wrap.recordId);
    if (recordIds.length > 0) await this.records.putDoctorWraps(consent.doctorId, user.userId, request.wraps, request.fingerprint);
    if (request.folderLabel !== undefined) await this.consents.setFolderLabel(consent.id, { wrap: request.folderLabel.wrap, name: request.folderLabel.name });
    const staleWraps = await this.records.staleWrapCount(consent.id);
    await this.audit.allow({
      subjectId: user.userId,
      action: 'consent.rewrap',
      consentId,
      reason: `${recordIds.length} wrap(s) re-made for key ${request.fingerprint}${request.folderLabel ? ', folder label re-sealed' : ''}; ${staleWraps} still for a replaced key`,
    });
    return { replaced: recordIds.length, staleWraps };
  }

  /** Every wrap names a record of this consent's scope, once. */
  private async assertInScope(consent: ConsentRow, request: RewrapConsentRequest, consentId: string): Promise<void> {
    const recordIds = request.wraps.map((wrap) => wrap.recordId);
    const inScope = new Set(await this.records.idsInConsentScope(consent.id, recordIds));
    const problems: string[] = [];
    if (new Set(recordIds).size !== recordIds.length) problems.push('a record is wrapped twice');
    const outside = recordIds.filter((id) => !inScope.has(id));
    if (outside.length) problems.push(`${outside.length} wrap(s) for records outside the consent’s scope or not yours: ${outside.join(', ')}`);
    if (problems.length === 0) return;
    this.audit.deny({ subjectId: consent.patientId, action: 'consent.rewrap', consentId, reason: problems.join('; ') });
    throw new ApiError(400, ERROR_CODES.wrapsMismatch, `The wraps do not match the consent’s records: ${problems.join('; ')}`, [{ field: 'wraps', message: problems.join('; ') }]);
  }
}
