import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type RewrapConsentRequest, type RewrapConsentResult } from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';
import { PublicKeyEntity } from '../users/public-key.entity.js';
import { effectiveStatus, ConsentEntity } from './consent.entity.js';
import { scopeCondition } from './consent-scope.js';

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
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly owners: AttemptOwners,
  ) {}

  async rewrap(user: AuthUser, consentId: string, request: RewrapConsentRequest): Promise<RewrapConsentResult> {
    const consent = await this.db.manager().getRepository(ConsentEntity).findOneBy({ id: consentId, patientId: user.userId });
    if (!consent) {
      const patient = await this.owners.ownerOf('consent', consentId);
      const isForeign = patient !== null && patient !== user.userId;
      this.audit.deny({ subjectId: isForeign ? patient : user.userId, action: 'consent.rewrap', reason: isForeign ? 'not the patient of this consent' : 'no such consent', consentId });
      throw ApiError.notFound('No such consent');
    }
    const status = effectiveStatus(consent);
    if (status !== 'active') {
      this.audit.deny({ subjectId: user.userId, action: 'consent.rewrap', consentId, reason: `consent is ${status}` });
      throw new ApiError(409, ERROR_CODES.consentNotActive, `This consent is ${status}`);
    }
    const doctorKey = await this.db.manager().getRepository(PublicKeyEntity).findOneBy({ userId: consent.doctorId });
    if (doctorKey?.fingerprint !== request.fingerprint) {
      this.audit.deny({ subjectId: user.userId, action: 'consent.rewrap', consentId, reason: `wraps made for key ${request.fingerprint}, not the doctor's current key` });
      throw new ApiError(409, ERROR_CODES.keyChanged, 'The wraps were made for another key than the doctor’s current one: prove the doctor’s key in the key directory again');
    }
    await this.assertInScope(consent, request, consentId);

    const recordIds = request.wraps.map((wrap) => wrap.recordId);
    await this.db.manager().query(
      `INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_fingerprint)
       SELECT w.record_id, $3, $4, w.wrap, $5 FROM unnest($1::uuid[], $2::text[]) AS w (record_id, wrap)
       ON CONFLICT (record_id, recipient_id) DO UPDATE SET wrap = EXCLUDED.wrap, key_fingerprint = EXCLUDED.key_fingerprint, created_at = now()`,
      [recordIds, request.wraps.map((wrap) => wrap.wrap), consent.doctorId, user.userId, request.fingerprint],
    );
    const staleWraps = await staleWrapCount(this.db, consent);
    await this.audit.allow({
      subjectId: user.userId,
      action: 'consent.rewrap',
      consentId,
      reason: `${recordIds.length} wrap(s) re-made for key ${request.fingerprint}; ${staleWraps} still for a replaced key`,
    });
    return { replaced: recordIds.length, staleWraps };
  }

  /** Every wrap names a record of this consent's scope, once. */
  private async assertInScope(consent: ConsentEntity, request: RewrapConsentRequest, consentId: string): Promise<void> {
    const recordIds = request.wraps.map((wrap) => wrap.recordId);
    const scope = scopeCondition(consent, 3);
    const rows = await this.db
      .manager()
      .query<Array<{ id: string }>>(`SELECT r.id FROM records r WHERE r.owner_id = $1 AND r.id = ANY($2::uuid[]) AND (${scope.sql})`, [consent.patientId, recordIds, ...scope.params]);
    const inScope = new Set(rows.map((row) => row.id));
    const problems: string[] = [];
    if (new Set(recordIds).size !== recordIds.length) problems.push('a record is wrapped twice');
    const outside = recordIds.filter((id) => !inScope.has(id));
    if (outside.length) problems.push(`${outside.length} wrap(s) for records outside the consent’s scope or not yours: ${outside.join(', ')}`);
    if (problems.length === 0) return;
    this.audit.deny({ subjectId: consent.patientId, action: 'consent.rewrap', consentId, reason: problems.join('; ') });
    throw new ApiError(400, ERROR_CODES.wrapsMismatch, `The wraps do not match the consent’s records: ${problems.join('; ')}`, [{ field: 'wraps', message: problems.join('; ') }]);
  }
}

/**
 * Doctor wraps of records in the consent's scope made for a key the doctor no
 * longer has (record_wraps.key_fingerprint, docs/protocol.md "Key-pair
 * rotation"). Zero for a consent that is not active: its wraps are gone.
 */
export async function staleWrapCount(db: Db, consent: ConsentEntity): Promise<number> {
  if (effectiveStatus(consent) !== 'active') return 0;
  const scope = scopeCondition(consent, 3);
  const [row] = await db.manager().query<Array<{ stale: number }>>(
    `SELECT count(*)::int AS stale FROM record_wraps w JOIN records r ON r.id = w.record_id
     LEFT JOIN public_keys k ON k.user_id = w.recipient_id
     WHERE w.recipient_id = $1 AND r.owner_id = $2 AND (${scope.sql}) AND w.key_fingerprint IS DISTINCT FROM k.fingerprint`,
    [consent.doctorId, consent.patientId, ...scope.params],
  );
  return row?.stale ?? 0;
}
