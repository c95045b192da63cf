import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type Consent, type ConsentPage, type CreateConsentRequest, type DoctorList, type ListConsentsQuery, type UpdateConsentRequest } from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { decodeCursor, encodeCursor } from '../common/page-cursor.js';
import { RecordAccess } from '../access/record-access.service.js';
import { CliniciansRepository } from '../clinicians/clinicians.repository.js';
import { nameSkeleton } from '../clinicians/name-check.js';
import { Db } from '../db/db.service.js';
import { RecordsRepository } from '../access/records.repository.js';
import { PublicKeysRepository } from '../users/public-keys.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { ConsentsRepository, type ConsentRow } from '../access/consents.repository.js';
import { assertWrapsMatch } from '../access/wraps-match.js';

const SEARCH_LIMIT = 20;
const DEFAULT_PAGE = 50;

/** Consents (DESIGN 5, 6): a patient grants and revokes; a doctor only reads. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly access: RecordAccess,
    private readonly owners: AttemptOwners,
    private readonly consents: ConsentsRepository,
    private readonly records: RecordsRepository,
    private readonly users: UsersRepository,
    private readonly publicKeys: PublicKeysRepository,
    private readonly clinicians: CliniciansRepository,
  ) {}

  /**
   * Approved clinicians only (docs/protocol.md "Clinicians"), matched by name,
   * email or the TR39 skeleton of the name, with who vouched for them and
   * whether another approved clinician's name looks the same.
   */
  async searchDoctors(query: string): Promise<DoctorList> {
    const escape = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);
    const rows = await this.consents.searchDoctors(escape(query.trim()), escape(nameSkeleton(query)), SEARCH_LIMIT);
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
    // Only a clinician an operator approved (and has not suspended) receives a share (docs/protocol.md "Clinicians").
    if (!(await this.consents.isVerifiedClinician(request.doctorId))) throw ApiError.validation([{ field: 'doctorId', message: 'doctorId names no verified clinician' }]);
    if (request.scope === 'record') await this.access.requireOwned(user, request.recordId as string, 'consent.grant');
    if (request.scope === 'folder' && (await this.owners.ownerOf('folder', request.folderId as string)) !== user.userId) {
      await this.fileForeignFolder(user, request.folderId as string);
      throw ApiError.validation([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
    }

    const consent: ConsentRow = {
      id: randomUUID(),
      patientId: user.userId,
      doctorId: request.doctorId,
      scope: request.scope,
      recordId: request.recordId ?? null,
      folderId: request.folderId ?? null,
      purpose: request.purpose?.trim() ?? null,
      folderLabel: request.folderLabel ? { wrap: request.folderLabel.wrap, name: request.folderLabel.name } : null,
      expiresAt: request.expiresAt ? new Date(request.expiresAt) : null,
      status: 'active',
      createdAt: new Date(),
      revokedAt: null,
    };
    // Inserted first so that its scope is asked of the database (consent_scope_includes); a refusal below rolls it back.
    await this.consents.insert(consent);
    assertWrapsMatch(await this.records.idsInConsentScope(consent.id), request.wraps.map((wrap) => wrap.recordId));
    if (request.fingerprint !== undefined) await this.assertCurrentKey(user, request.doctorId, request.fingerprint);
    await this.records.putDoctorWraps(consent.doctorId, user.userId, request.wraps, request.fingerprint ?? null);
    await this.audit.allow({ subjectId: user.userId, action: 'consent.grant', consentId: consent.id, recordId: consent.recordId ?? undefined });
    return (await this.present([consent]))[0];
  }

  /**
   * One page of the caller's consents, newest first. Reading consents is audited in the trail of
   * each patient on the page (a doctor's page may name several), so a request locks as many chain
   * heads as the page has patients, never as many as the doctor has.
   */
  async list(user: AuthUser, query: ListConsentsQuery): Promise<ConsentPage> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const before = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await this.consents.pageNewestFor(user.role === 'doctor' ? 'doctor_id' : 'patient_id', user.userId, query.status ?? null, before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const patients = new Set(user.role === 'doctor' ? page.map((consent) => consent.patientId) : [user.userId]);
    if (patients.size === 0) patients.add(user.userId);
    for (const patientId of patients) {
      await this.audit.allow({ subjectId: patientId, action: 'consent.list', reason: `${page.filter((c) => c.patientId === patientId).length} consent(s)` });
    }
    return {
      items: await this.present(page),
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** PATCH /consents/:id: does what the body says (today one change: `status: "revoked"`). */
  async update(user: AuthUser, consentId: string, request: UpdateConsentRequest): Promise<Consent> {
    if (request.status !== 'revoked') throw ApiError.validation([{ field: 'status', message: 'status must be "revoked"' }]);
    return this.revoke(user, consentId);
  }

  /** Revokes in one transaction: the consent, and the doctor's wraps no other consent in force covers. */
  async revoke(user: AuthUser, consentId: string): Promise<Consent> {
    const consent = await this.consents.findOfPatient(consentId, user.userId);
    if (!consent) {
      // Another patient's consent: the attempt belongs in that patient's trail.
      const patient = await this.owners.ownerOf('consent', consentId);
      const isForeign = patient !== null && patient !== user.userId;
      this.audit.deny({ subjectId: isForeign ? patient : user.userId, action: 'consent.revoke', reason: isForeign ? 'not the patient of this consent' : 'no such consent', consentId });
      throw ApiError.notFound('No such consent');
    }
    if (consent.status !== 'active') {
      throw new ApiError(409, ERROR_CODES.consentNotActive, `This consent is already ${consent.status}`);
    }
    const revokedAt = new Date();
    await this.consents.markRevoked(consent.id, revokedAt);
    await this.records.removeUncoveredWraps(consent.id);
    await this.audit.allow({ subjectId: user.userId, action: 'consent.revoke', consentId: consent.id });
    return (await this.present([{ ...consent, status: 'revoked', revokedAt }]))[0];
  }

  /** Ends a consent past its expiry (the sweep, as the patient): marked expired, the doctor's wraps no other consent covers removed. */
  async expire(consentId: string): Promise<boolean> {
    const consent = await this.consents.findActive(consentId);
    if (!consent) return false;
    await this.consents.markExpired(consentId);
    await this.records.removeUncoveredWraps(consentId);
    return true;
  }

  /** Wraps made for a key the doctor has replaced since the patient looked it up are refused (docs/protocol.md "Key-pair rotation"). */
  private async assertCurrentKey(user: AuthUser, doctorId: string, fingerprint: string): Promise<void> {
    const key = await this.publicKeys.find(doctorId);
    if (key?.fingerprint === fingerprint) return;
    this.audit.deny({ subjectId: user.userId, action: 'consent.grant', reason: `wraps made for key ${fingerprint}, not the doctor's current key` });
    throw new ApiError(409, ERROR_CODES.keyChanged, 'The wraps were made for another key than the doctor’s current one: prove the doctor’s key in the key directory again');
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
    if (request.folderLabel !== undefined && request.scope !== 'folder') {
      problems.push({ field: 'folderLabel', message: 'folderLabel is allowed with scope "folder" only' });
    }
    if (problems.length) throw ApiError.validation(problems);
  }

  /** Consents as the API shows them, with the names of both parties: a few statements, whatever the number of consents. */
  private async present(consents: ConsentRow[]): Promise<Consent[]> {
    const myId = this.db.actor().userId as string;
    const others = new Set(consents.flatMap((consent) => [consent.patientId, consent.doctorId]).filter((id) => id !== myId));
    const names = await this.consents.partyNamesOf([...others]);
    const me = await this.users.find(myId);
    if (me) names.set(me.id, me.displayName);
    const staleWraps = await this.records.staleWrapCounts(consents.filter((consent) => consent.status === 'active').map((consent) => consent.id));
    // RLS shows a doctor their own standing, and a patient that of their consents' doctors.
    const standings = await this.clinicians.statusesOf([...new Set(consents.map((consent) => consent.doctorId))]);
    return consents.map((consent) => ({
      id: consent.id,
      patientId: consent.patientId,
      patientName: names.get(consent.patientId) ?? '',
      doctorId: consent.doctorId,
      doctorName: names.get(consent.doctorId) ?? '',
      scope: consent.scope,
      recordId: consent.recordId,
      folderId: consent.folderId,
      purpose: consent.purpose,
      folderLabel: consent.folderLabel,
      expiresAt: consent.expiresAt?.toISOString() ?? null,
      status: consent.status,
      createdAt: consent.createdAt.toISOString(),
      revokedAt: consent.revokedAt?.toISOString() ?? null,
      staleWraps: staleWraps.get(consent.id) ?? 0,
      doctorStatus: standings.get(consent.doctorId) ?? 'pending',
    }));
  }
}
