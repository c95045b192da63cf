import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { ERROR_CODES, type Consent, type ConsentList, type ConsentStatus, type CreateConsentRequest, type DoctorList } from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { ClinicianEntity } from '../clinicians/clinician.entity.js';
import { nameSkeleton } from '../clinicians/name-check.js';
import { Db } from '../db/db.service.js';
import { FolderEntity } from '../folders/folder.entity.js';
import { RecordDenials } from '../records/record-denials.js';
import { RecordEntity } from '../records/entities/record.entity.js';
import { PublicKeyEntity } from '../users/public-key.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { effectiveStatus, ConsentEntity } from './consent.entity.js';
import { scopeCondition } from './consent-scope.js';
import { staleWrapCount } from './consent-rewraps.service.js';

const SEARCH_LIMIT = 20;

/** Consents (DESIGN 5, 6): a patient grants and revokes; a doctor only reads. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly denials: RecordDenials,
    private readonly owners: AttemptOwners,
  ) {}

  /**
   * Approved clinicians only (docs/protocol.md "Clinicians"), matched by name,
   * email or the TR39 skeleton of the name, with who vouched for them and
   * whether another approved clinician's name looks the same.
   */
  async searchDoctors(query: string): Promise<DoctorList> {
    const escape = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);
    const rows = await this.db.manager().query<Array<{
      id: string;
      display_name: string;
      specialty: string | null;
      public_key: string;
      fingerprint: string;
      organisation: string;
      verified_by: string;
      verified_at: Date;
      looks_like_another: boolean;
    }>>('SELECT * FROM search_doctors($1, $2, $3)', [escape(query.trim()), escape(nameSkeleton(query)), SEARCH_LIMIT]);
    return {
      items: rows.map((row) => ({
        id: row.id,
        displayName: row.display_name,
        specialty: row.specialty,
        publicKey: row.public_key,
        fingerprint: row.fingerprint,
        organisation: row.organisation,
        verifiedBy: row.verified_by,
        verifiedAt: row.verified_at.toISOString(),
        looksLikeAnother: row.looks_like_another,
      })),
    };
  }

  /**
   * Creates a consent with the doctor's wraps of exactly the file keys in its
   * scope, made in the patient's browser. Anything else is refused and nothing is written.
   */
  async create(user: AuthUser, request: CreateConsentRequest): Promise<Consent> {
    this.assertScopeFields(request);
    if (request.expiresAt && Date.parse(request.expiresAt) <= Date.now()) {
      throw ApiError.validation([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    const manager = this.db.manager();
    // Only a clinician an operator approved (and has not suspended) receives a share (docs/protocol.md "Clinicians").
    const [{ verified }] = await manager.query<Array<{ verified: boolean }>>('SELECT is_verified_clinician($1) AS verified', [request.doctorId]);
    if (!verified) throw ApiError.validation([{ field: 'doctorId', message: 'doctorId names no verified clinician' }]);
    if (request.scope === 'record' && !(await manager.getRepository(RecordEntity).existsBy({ id: request.recordId }))) {
      return this.denials.notFound(request.recordId as string, 'consent.grant');
    }
    if (request.scope === 'folder' && !(await manager.getRepository(FolderEntity).existsBy({ id: request.folderId }))) {
      await this.fileForeignFolder(user, request.folderId as string);
      throw ApiError.validation([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
    }

    const consent = manager.getRepository(ConsentEntity).create({
      id: randomUUID(),
      patientId: user.userId,
      doctorId: request.doctorId,
      scope: request.scope,
      recordId: request.recordId ?? null,
      folderId: request.folderId ?? null,
      purpose: request.purpose?.trim() ?? null,
      expiresAt: request.expiresAt ? new Date(request.expiresAt) : null,
      status: 'active',
      createdAt: new Date(),
      revokedAt: null,
    });
    const inScope = await this.recordsInScope(user.userId, consent);
    assertWrapsMatch(inScope, request.wraps.map((wrap) => wrap.recordId));
    if (request.fingerprint !== undefined) await this.assertCurrentKey(user, request.doctorId, request.fingerprint);

    await manager.getRepository(ConsentEntity).insert(consent);
    // One statement for every wrap (a consent over "all" may carry thousands).
    await manager.query(
      // Without a fingerprint the database stamps the doctor's current key (record_wraps_stamp_key).
      `INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_fingerprint)
       SELECT w.record_id, $3, $4, w.wrap, $5 FROM unnest($1::uuid[], $2::text[]) AS w (record_id, wrap)
       ON CONFLICT (record_id, recipient_id) DO UPDATE SET wrap = EXCLUDED.wrap, key_fingerprint = EXCLUDED.key_fingerprint`,
      [request.wraps.map((wrap) => wrap.recordId), request.wraps.map((wrap) => wrap.wrap), consent.doctorId, user.userId, request.fingerprint ?? null],
    );
    await this.audit.allow({ subjectId: user.userId, action: 'consent.grant', consentId: consent.id, recordId: consent.recordId ?? undefined });
    return (await this.present([consent]))[0];
  }

  async list(user: AuthUser, status: ConsentStatus | undefined): Promise<ConsentList> {
    const column = user.role === 'doctor' ? 'doctorId' : 'patientId';
    const consents = await this.db
      .manager()
      .getRepository(ConsentEntity)
      .find({ where: { [column]: user.userId }, order: { createdAt: 'DESC', id: 'DESC' } });
    const now = new Date();
    const shown = consents.filter((consent) => status === undefined || effectiveStatus(consent, now) === status);
    // Reading consents is audited in the trail of each patient they concern.
    const patients = new Set(user.role === 'doctor' ? shown.map((consent) => consent.patientId) : [user.userId]);
    if (patients.size === 0) patients.add(user.userId);
    for (const patientId of patients) {
      await this.audit.allow({ subjectId: patientId, action: 'consent.list', reason: `${shown.filter((c) => c.patientId === patientId).length} consent(s)` });
    }
    return { items: await this.present(shown) };
  }

  /** Revokes in one transaction: the consent, and the doctor's wraps no other active consent covers. */
  async revoke(user: AuthUser, consentId: string): Promise<Consent> {
    const repository = this.db.manager().getRepository(ConsentEntity);
    const consent = await repository.findOneBy({ id: consentId, patientId: user.userId });
    if (!consent) {
      // Another patient's consent: the attempt belongs in that patient's trail.
      const patient = await this.owners.ownerOf('consent', consentId);
      const isForeign = patient !== null && patient !== user.userId;
      this.audit.deny({ subjectId: isForeign ? patient : user.userId, action: 'consent.revoke', reason: isForeign ? 'not the patient of this consent' : 'no such consent', consentId });
      throw ApiError.notFound('No such consent');
    }
    if (effectiveStatus(consent) !== 'active') {
      throw new ApiError(409, ERROR_CODES.consentNotActive, `This consent is already ${effectiveStatus(consent)}`);
    }
    consent.status = 'revoked';
    consent.revokedAt = new Date();
    await repository.update({ id: consent.id }, { status: consent.status, revokedAt: consent.revokedAt });
    await this.removeUncoveredWraps(consent);
    await this.audit.allow({ subjectId: user.userId, action: 'consent.revoke', consentId: consent.id });
    return (await this.present([consent]))[0];
  }

  /**
   * Deletes the doctor's wraps of records in this consent's scope unless
   * another active consent still covers them. Runs as the patient.
   */
  async removeUncoveredWraps(consent: ConsentEntity): Promise<void> {
    const scope = scopeCondition(consent, 3);
    await this.db.manager().query(
      `DELETE FROM record_wraps w USING records r
       WHERE w.record_id = r.id AND w.recipient_id = $1 AND r.owner_id = $2 AND (${scope.sql})
         AND NOT consent_covers($1, $2, r.id, r.folder_id)`,
      [consent.doctorId, consent.patientId, ...scope.params],
    );
  }

  /** Wraps made for a key the doctor has replaced since the patient looked it up are refused (docs/protocol.md "Key-pair rotation"). */
  private async assertCurrentKey(user: AuthUser, doctorId: string, fingerprint: string): Promise<void> {
    const key = await this.db.manager().getRepository(PublicKeyEntity).findOneBy({ userId: doctorId });
    if (key?.fingerprint === fingerprint) return;
    this.audit.deny({ subjectId: user.userId, action: 'consent.grant', reason: `wraps made for key ${fingerprint}, not the doctor's current key` });
    throw new ApiError(409, ERROR_CODES.keyChanged, 'The wraps were made for another key than the doctor’s current one: prove the doctor’s key in the key directory again');
  }

  private async recordsInScope(patientId: string, consent: ConsentEntity): Promise<string[]> {
    const scope = scopeCondition(consent, 2);
    const rows = await this.db.manager().query<Array<{
      id: string;
    }>>(`SELECT r.id FROM records r WHERE r.owner_id = $1 AND (${scope.sql})`, [patientId, ...scope.params]);
    return rows.map((row) => row.id);
  }

  /** A grant over another patient's folder is an attempt on that patient's data: filed in their trail. */
  private async fileForeignFolder(user: AuthUser, folderId: string): Promise<void> {
    const owner = await this.owners.ownerOf('folder', folderId);
    if (owner === null || owner === user.userId) return;
    this.audit.deny({ subjectId: owner, action: 'consent.grant', reason: `folder ${folderId.toLowerCase()} is not the caller's` });
  }

  private assertScopeFields(request: CreateConsentRequest): void {
    const problems = [];
    if ((request.scope === 'record') !== (request.recordId !== undefined)) {
      problems.push({ field: 'recordId', message: 'recordId is required with scope "record" and only then' });
    }
    if ((request.scope === 'folder') !== (request.folderId !== undefined)) {
      problems.push({ field: 'folderId', message: 'folderId is required with scope "folder" and only then' });
    }
    if (problems.length) throw ApiError.validation(problems);
  }

  /** Consents as the API shows them, with the names of both parties. */
  private async present(consents: ConsentEntity[]): Promise<Consent[]> {
    const manager = this.db.manager();
    const names = new Map<string, string>();
    const me = await manager.getRepository(UserEntity).findOneBy({ id: this.db.actor().userId as string });
    if (me) names.set(me.id, me.displayName);
    for (const row of await manager.query<Array<{ id: string; display_name: string }>>('SELECT id, display_name FROM consent_party_names()')) {
      names.set(row.id, row.display_name);
    }
    const staleWraps = await Promise.all(consents.map((consent) => staleWrapCount(this.db, consent)));
    const doctorIds = [...new Set(consents.map((consent) => consent.doctorId))];
    // RLS shows a doctor their own standing, and a patient that of their consents' doctors.
    const standings = new Map((await manager.getRepository(ClinicianEntity).findBy({ userId: In(doctorIds) })).map((row) => [row.userId, row.status]));
    return consents.map((consent, index) => ({
      id: consent.id,
      patientId: consent.patientId,
      patientName: names.get(consent.patientId) ?? '',
      doctorId: consent.doctorId,
      doctorName: names.get(consent.doctorId) ?? '',
      scope: consent.scope,
      recordId: consent.recordId,
      folderId: consent.folderId,
      purpose: consent.purpose,
      expiresAt: consent.expiresAt?.toISOString() ?? null,
      status: effectiveStatus(consent),
      createdAt: consent.createdAt.toISOString(),
      revokedAt: consent.revokedAt?.toISOString() ?? null,
      staleWraps: staleWraps[index],
      doctorStatus: standings.get(consent.doctorId) ?? 'pending',
    }));
  }
}

/** The wraps must name every record in scope once, and nothing else. */
function assertWrapsMatch(inScope: string[], wrapped: string[]): void {
  const scope = new Set(inScope);
  const given = new Set(wrapped);
  const problems: string[] = [];
  if (given.size !== wrapped.length) problems.push('a record is wrapped twice');
  const missing = inScope.filter((id) => !given.has(id));
  const extra = wrapped.filter((id) => !scope.has(id));
  if (missing.length) problems.push(`no wrap for ${missing.length} record(s) in scope: ${missing.join(', ')}`);
  if (extra.length) problems.push(`${extra.length} wrap(s) for records outside the scope or not yours: ${extra.join(', ')}`);
  if (problems.length) {
    throw new ApiError(400, ERROR_CODES.wrapsMismatch, `The wraps do not match the records in scope: ${problems.join('; ')}`, [
      { field: 'wraps', message: problems.join('; ') },
    ]);
  }
}
