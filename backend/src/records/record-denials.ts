import { Injectable } from '@nestjs/common';
import { API_PREFIX, ERROR_CODES, ROUTES, type AuditAction, type ClinicianStatus } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';

/**
 * DESIGN 6: a record the caller may not see gets the same 404 as one that does
 * not exist, and the attempt is audited in the owner's trail (or, when there
 * is no such record, in the caller's own).
 */
@Injectable()
export class RecordDenials {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  async notFound(recordId: string, action: AuditAction): Promise<never> {
    const [row] = await this.db.manager().query<Array<{ owner: string | null }>>('SELECT record_owner($1) AS owner', [recordId]);
    const { userId, role } = this.db.actor();
    const caller = userId as string;
    const owner = row?.owner ?? null;
    if (role === 'doctor' && action === 'record.read') await this.assertVerifiedClinician(ROUTES.getRecord, owner !== null && owner !== caller ? { owner, recordId } : undefined);
    this.audit.deny({
      subjectId: owner ?? caller,
      action,
      recordId,
      reason: owner === null ? 'no such record' : owner === caller ? 'not available' : role === 'doctor' ? 'no active consent and wrap' : 'not the owner',
    });
    throw ApiError.notFound('No such record');
  }

  /**
   * docs/protocol.md "Clinicians": a doctor whose approval does not stand sees no record (the
   * RLS policy on records asks for an approved clinician), so a doctor's read that found
   * nothing asks why, and one who is pending, refused or suspended is told so: 403
   * CLINICIAN_NOT_VERIFIED, audited in the trail of the patient whose record was asked for
   * (else the doctor's own). Asked only when a read found nothing: reads that succeed pay no
   * extra statement, and a suspension still counts from the next request.
   */
  async assertVerifiedClinician(route: { method: string; path: string }, target?: { owner: string; recordId: string }): Promise<void> {
    const caller = this.db.actor().userId as string;
    const [row] = await this.db.manager().query<Array<{ status: ClinicianStatus }>>('SELECT status FROM clinicians WHERE user_id = $1', [caller]);
    const status = row?.status ?? 'pending';
    if (status === 'approved') return;
    this.audit.deny({
      subjectId: target?.owner ?? caller,
      action: 'route.access',
      recordId: target?.recordId,
      reason: `clinician ${status}: no operator's approval stands; ${route.method} ${API_PREFIX}${route.path}`,
    });
    const why = status === 'suspended' ? 'is suspended by the operators' : status === 'refused' ? 'was refused by the operators' : 'awaits an operator’s approval';
    throw new ApiError(403, ERROR_CODES.clinicianNotVerified, `Your clinician account ${why}: you cannot read shared records`);
  }
}
