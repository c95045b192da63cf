import { Injectable } from '@nestjs/common';
import { API_PREFIX, ERROR_CODES, ROUTES, type AuditAction } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { CliniciansRepository } from '../clinicians/clinicians.repository.js';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ConsentsRepository } from './consents.repository.js';
import { RecordsRepository, type RecordRow, type WrapRow } from './records.repository.js';

/** A read that was allowed: the record, the caller's wrap, and the consent it happens under (a doctor's read). */
export interface ReadableRecord {
  record: RecordRow;
  wrap: WrapRow;
  consentId: string | null;
}

/** A doctor a new upload must be wrapped for, with their current public key as the directory should prove it. */
export interface CoveringDoctor {
  id: string;
  displayName: string;
  publicKey: string;
}

/**
 * The one record-access policy (DESIGN 5, 6; issue 13): who may read or own a
 * record, and which doctors a new record must be shared with. It decides,
 * audits the decision (a doctor's read with the id of the narrowest consent in
 * force that covers it), and refuses with the same 404 as for a record that
 * does not exist, its deny row in the owner's trail (or, when there is no such
 * record, the caller's own). The rule itself is SQL (consent_covers() in RLS,
 * covering_consent(), covering_doctors()); ConsentGuard applies this policy to
 * every route that takes a record id.
 */
@Injectable()
export class RecordAccess {
  constructor(
    private readonly db: Db,
    private readonly records: RecordsRepository,
    private readonly consents: ConsentsRepository,
    private readonly audit: AuditService,
    private readonly clinicians: CliniciansRepository,
  ) {}

  /**
   * The owner's or a consented doctor's read. A doctor reads only under a
   * consent in force (RLS shows nothing else) and with a wrap of their own made
   * for their current key (else 409 WRAP_STALE). Audits the allowed read.
   */
  async requireReadable(user: AuthUser, recordId: string): Promise<ReadableRecord> {
    const found = await this.records.findReadable(recordId, user.userId);
    if (!found || (found.record.ownerId !== user.userId && found.consentId === null)) return this.notFound(recordId, 'record.read');
    const { record, wrap, consentId } = found;
    if (!found.isWrapCurrent) {
      this.audit.deny({ subjectId: record.ownerId, action: 'record.read', recordId, reason: `wrap made for the replaced key ${wrap.keyFingerprint}` });
      throw new ApiError(409, ERROR_CODES.wrapStale, 'This record was shared with a key you have since replaced: the patient must share it again for your new key');
    }
    await this.audit.allow({
      subjectId: record.ownerId,
      action: 'record.read',
      recordId,
      consentId: consentId ?? undefined,
      reason: consentId ? 'consented doctor' : undefined,
    });
    return { record, wrap, consentId };
  }

  /** The caller's own record, or the 404 with its deny row for `action`. */
  async requireOwned(user: AuthUser, recordId: string, action: AuditAction): Promise<RecordRow> {
    const record = await this.records.find(recordId);
    if (!record || record.ownerId !== user.userId) return this.notFound(recordId, action);
    return record;
  }

  /**
   * The doctors a new record of this patient in this folder (none: null) must
   * be wrapped for: every doctor of a consent in force whose scope takes the
   * folder in, whatever the doctor's standing (RLS keeps a doctor who is not
   * approved from reading).
   */
  async coveringDoctorIds(user: AuthUser, folderId: string | null): Promise<Set<string>> {
    return new Set((await this.consents.coveringDoctors(user.userId, folderId)).map((doctor) => doctor.doctorId));
  }

  /** coveringDoctorIds with each doctor's name and current public key, for the presign answer. */
  async coveringDoctors(user: AuthUser, folderId: string | null): Promise<CoveringDoctor[]> {
    const doctors = await this.consents.coveringDoctors(user.userId, folderId);
    return doctors.flatMap(({ doctorId, displayName, publicKey }) => (publicKey === null ? [] : [{ id: doctorId, displayName, publicKey }]));
  }


  /**
   * DESIGN 6: a record the caller may not see gets the same 404 as one that
   * does not exist; the attempt is audited in the owner's trail (or, when
   * there is no such record, in the caller's own). A doctor whose approval
   * does not stand is told so first (403, see assertVerifiedClinician).
   */
  async notFound(recordId: string, action: AuditAction): Promise<never> {
    const owner = await this.records.ownerOf(recordId);
    const { userId, role } = this.db.actor();
    const caller = userId as string;
    if (role === 'doctor' && action === 'record.read') await this.assertVerifiedClinician(ROUTES.getRecord, owner !== null && owner !== caller ? { owner, recordId } : undefined);
    if (role === 'doctor' && action === 'record.read' && owner !== null && owner !== caller) await this.assertConsentNotEnded(recordId, owner);
    this.audit.deny({
      subjectId: owner ?? caller,
      action,
      recordId,
      reason: owner === null ? 'no such record' : owner === caller ? 'not available' : role === 'doctor' ? 'no active consent and wrap' : 'not the owner',
    });
    throw ApiError.notFound('No such record');
  }

  /**
   * docs/protocol.md "Reads after a consent ended": a doctor whose consent covering this record
   * was revoked or expired is told so (410 ACCESS_ENDED, with the patient's name and the date),
   * not "No such record": they could read it once, so its existence is no secret to them. The
   * refusal is filed in the patient's trail naming the consent. A doctor who never had such a
   * consent gets the usual 404.
   */
  private async assertConsentNotEnded(recordId: string, owner: string): Promise<void> {
    const ended = await this.consents.endedConsentFor(recordId);
    if (!ended || ended.patientId !== owner) return;
    this.audit.deny({ subjectId: owner, action: 'record.read', recordId, consentId: ended.consentId, reason: `consent ${ended.reason}` });
    throw ApiError.accessEnded({ reason: ended.reason, patientName: ended.patientName, endedAt: ended.endedAt.toISOString() });
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
    const status = (await this.clinicians.statusOf(caller)) ?? 'pending';
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
