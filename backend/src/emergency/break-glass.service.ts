import { TrustedContactsRepository } from '../access/trusted-contacts.repository.js';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ERROR_CODES,
  recordLayout,
  type BreakGlassRequest,
  type EmergencyAccess,
  type EmergencyBreak,
  type EmergencyBreakList,
  type EmergencyShareRequests,
  type RecordDetail,
  type ReleaseEmergencyShareRequest,
  type ReviewEmergencyRequest,
} from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { CliniciansRepository } from '../clinicians/clinicians.repository.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AuthUser } from '../identity/auth-user.js';
import { segmentObjectKey } from '../records/object-keys.js';
import { StorageService } from '../storage/storage.service.js';
import { PublicKeysRepository } from '../users/public-keys.repository.js';
import { EmergencyBreaksRepository, type EmergencyBreakRow } from './emergency-breaks.repository.js';
import { EmergencySetupsRepository } from './emergency-setups.repository.js';

const LIST_LIMIT = 100;
/** The reason of every allowed read under break-glass (shared with the access report: docs/protocol.md "Break-glass"). */
export const BREAK_GLASS_READ_REASON = 'break-glass';

/**
 * A clinician breaks the glass (docs/protocol.md "Break-glass"): the break is filed with its
 * reason and time box, the patient and the holders are told at once, each holder's browser
 * re-wraps its share for the clinician, and once k shares are in the clinician's browser opens
 * the emergency key and reads, read-only, until the time box ends. Auditors review every break.
 */
@Injectable()
export class BreakGlassService {
  private readonly downloadUrlSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
    private readonly breaks: EmergencyBreaksRepository,
    private readonly setups: EmergencySetupsRepository,
    private readonly clinicians: CliniciansRepository,
    private readonly publicKeys: PublicKeysRepository,
    private readonly storage: StorageService,
    private readonly contacts: TrustedContactsRepository,
  ) {
    this.downloadUrlSeconds = config.records.downloadUrlSeconds;
  }

  async breakGlass(user: AuthUser, request: BreakGlassRequest): Promise<EmergencyBreak> {
    await this.assertApprovedClinician(user, 'emergency.broken');
    const patient = await this.breaks.patientSetup(request.patientEmail.trim());
    if (!patient) {
      this.audit.deny({ subjectId: user.userId, action: 'emergency.broken', reason: 'no patient with this email' });
      throw ApiError.notFound('No patient with this email');
    }
    if (patient.scope === 'off' || patient.threshold === null) {
      this.audit.deny({ subjectId: patient.patient_id, action: 'emergency.broken', reason: `${request.reasonCode}: the patient allows no break-glass` });
      throw new ApiError(409, ERROR_CODES.emergencyOff, 'This patient has not allowed clinicians to break the glass');
    }
    const row = {
      id: randomUUID(),
      patient_id: patient.patient_id,
      clinician_id: user.userId,
      reason_code: request.reasonCode,
      reason_text: request.reasonText.trim(),
      scope: patient.scope,
      threshold: patient.threshold,
      generation: patient.generation,
      expires_at: new Date(Date.now() + patient.hours * 3600_000),
    };
    await this.breaks.insert(row);
    await this.notifyBreakGlass(row.id, patient.patient_id, row.reason_code, row.reason_text);
    return this.presentOne(await this.breaks.find(row.id));
  }

  /**
   * The one place the people told of a break-glass are gathered: the patient, every holder of a
   * share and every trusted contact the patient named (docs/protocol.md "Trusted contacts"), each
   * by a notifiable `emergency.broken` row in their own trail (portal and mail follow from it).
   * The clinician's own words are about the patient's health: they go into the patient's row only.
   * The others' rows carry the reason code; a holder reads the words on the share request it answers
   * (GET /emergency/requests), never from an audit row. The SIEM streams every row, the patient's
   * too, so it does get the words (docs/running.md "What is sent").
   */
  async notifyBreakGlass(breakId: string, patientId: string, reasonCode: string, reasonText: string): Promise<void> {
    await this.audit.allow({ subjectId: patientId, action: 'emergency.broken', reason: `break ${breakId} of ${patientId}: ${reasonCode}: ${reasonText}` });
    const others = new Set<string>();
    for (const holder of await this.breaks.holdersOfPatient(patientId)) others.add(holder);
    for (const contact of await this.contacts.activeContactIds(patientId)) others.add(contact);
    others.delete(patientId);
    for (const subjectId of others) {
      await this.audit.allow({ subjectId, action: 'emergency.broken', reason: `break ${breakId} of ${patientId}: ${reasonCode}` });
    }
  }

  /** A patient's breaks over them, or a clinician's own. */
  async list(user: AuthUser): Promise<EmergencyBreakList> {
    const rows = await this.breaks.listOf(user.role === 'doctor' ? 'clinician_id' : 'patient_id', user.userId, LIST_LIMIT);
    const patients = new Set(rows.map((row) => row.patient_id));
    if (user.role !== 'doctor' || patients.size === 0) patients.add(user.userId);
    for (const subjectId of patients) {
      await this.audit.allow({ subjectId, action: 'emergency.list', reason: `${rows.filter((row) => row.patient_id === subjectId).length} break-glass(es)` });
    }
    return { items: await this.present(rows) };
  }

  /** Breaks waiting for the caller's share, with the clinician's key to re-wrap it for. */
  async requests(user: AuthUser): Promise<EmergencyShareRequests> {
    const rows = await this.breaks.waitingFor(user.userId);
    const shares = new Map((await this.setups.sharesHeldBy(user.userId)).map((share) => [share.patient_id, share]));
    const presented = await this.present(rows);
    const items = [];
    for (const [index, row] of rows.entries()) {
      const key = await this.publicKeys.find(row.clinician_id);
      const share = shares.get(row.patient_id);
      if (!key || !share) continue;
      items.push({
        breakGlass: presented[index],
        clinicianPublicKey: key.publicKey,
        clinicianFingerprint: key.fingerprint,
        share: { holderId: share.holder_id, fingerprint: share.fingerprint, share: share.share },
      });
    }
    return { items };
  }

  async release(user: AuthUser, breakId: string, request: ReleaseEmergencyShareRequest): Promise<EmergencyBreak> {
    const found = await this.breaks.find(breakId);
    const isHolder = found !== null && (await this.setups.sharesHeldBy(user.userId)).some((share) => share.patient_id === found.patient_id);
    if (!found || !isHolder) {
      const patient = await this.breaks.patientOf(breakId);
      this.audit.deny({ subjectId: patient ?? user.userId, action: 'emergency.share-released', reason: patient ? `break ${breakId}: not a holder of this patient` : `no such break ${breakId}` });
      throw ApiError.notFound('No such break-glass');
    }
    if (stateOf(found) === 'ended') {
      this.audit.deny({ subjectId: found.patient_id, action: 'emergency.share-released', reason: `break ${breakId}: ended` });
      throw new ApiError(410, ERROR_CODES.emergencyEnded, 'This break-glass has ended');
    }
    if (user.role === 'doctor') {
      // A doctor holds a share as a clinician (docs/protocol.md "Break-glass"): one whose approval no longer stands releases none.
      const status = (await this.clinicians.statusOf(user.userId)) ?? 'pending';
      if (status !== 'approved') {
        this.audit.deny({ subjectId: found.patient_id, action: 'emergency.share-released', reason: `break ${breakId}: holder is a clinician ${status}` });
        throw new ApiError(403, ERROR_CODES.clinicianNotVerified, `Your clinician account is ${status}: you cannot release a share`);
      }
    }
    if (await this.breaks.hasReleased(breakId, user.userId)) {
      this.audit.deny({ subjectId: found.patient_id, action: 'emergency.share-released', reason: `break ${breakId}: released already` });
      throw new ApiError(409, ERROR_CODES.emergencyShareReleased, 'You have released your share for this break-glass already');
    }
    const key = await this.publicKeys.find(found.clinician_id);
    if (key?.fingerprint !== request.fingerprint) {
      this.audit.deny({ subjectId: found.patient_id, action: 'emergency.share-released', reason: `break ${breakId}: share wrapped for key ${request.fingerprint}, not the clinician's current key` });
      throw new ApiError(409, ERROR_CODES.keyChanged, 'The share was wrapped for another key than the requesting clinician’s current one');
    }
    await this.breaks.release(breakId, user.userId, request.share);
    await this.audit.allow({ subjectId: found.patient_id, action: 'emergency.share-released', reason: `break ${breakId}: share of ${user.userId} released to ${found.clinician_id}` });
    return this.presentOne(await this.breaks.find(breakId));
  }

  /** The clinician's view: the released shares; once open, the sealed emergency key and the records in scope. */
  async access(user: AuthUser, breakId: string): Promise<EmergencyAccess> {
    const found = await this.ownBreak(user, breakId, 'emergency.list');
    const shares = (await this.breaks.releasedShares(breakId)).map((share) => ({ holderId: share.holder_id, share: share.share }));
    const key = await this.breaks.openKey(breakId);
    const records = key ? await this.breaks.openRecords(breakId, null) : [];
    await this.audit.allow({ subjectId: found.patient_id, action: 'emergency.list', reason: `break ${breakId}: ${shares.length} share(s), ${records.length} record(s)` });
    return {
      breakGlass: await this.presentOne(found),
      shares,
      publicKey: key?.public_key ?? null,
      sealedPrivateKey: key?.sealed_private_key ?? null,
      records: records.map((record) => ({ recordId: record.record_id, wrap: record.wrap, metadata: record.metadata, size: Number(record.size), createdAt: record.created_at.toISOString() })),
    };
  }

  /** One record under an open break-glass: the emergency wrap, sealed metadata and GET URLs; `record.read` with reason "break-glass". */
  async readRecord(user: AuthUser, breakId: string, recordId: string): Promise<RecordDetail> {
    const found = await this.ownBreak(user, breakId, 'record.read', recordId);
    if (!(await this.breaks.isOpen(breakId))) {
      this.audit.deny({ subjectId: found.patient_id, action: 'record.read', recordId, reason: `break-glass ${breakId}: waiting for shares` });
      throw new ApiError(409, ERROR_CODES.emergencyWaiting, `Waiting for ${found.threshold - found.shares_released} more share(s)`);
    }
    const [record] = await this.breaks.openRecords(breakId, recordId);
    if (!record) {
      this.audit.deny({ subjectId: found.patient_id, action: 'record.read', recordId, reason: `break-glass ${breakId}: not in scope` });
      throw ApiError.notFound('No such record');
    }
    await this.audit.allow({ subjectId: found.patient_id, action: 'record.read', recordId, reason: BREAK_GLASS_READ_REASON });
    const layout = recordLayout(Number(record.size), record.chunk_bytes);
    return {
      id: record.record_id,
      ownerId: record.owner_id,
      folderId: record.folder_id,
      size: Number(record.size),
      chunkBytes: record.chunk_bytes,
      createdAt: record.created_at.toISOString(),
      metadata: record.metadata,
      wrap: record.wrap,
      trashedAt: null,
      segments: layout.segments.map((segment) => ({
        index: segment.index,
        byteLength: segment.byteLength,
        ...this.storage.presignGet(segmentObjectKey(record.record_id, segment.index), this.downloadUrlSeconds),
      })),
      expiresAt: new Date(Date.now() + this.downloadUrlSeconds * 1000).toISOString(),
    };
  }

  async reviewQueue(user: AuthUser, status: 'pending' | 'reviewed' | undefined): Promise<EmergencyBreakList> {
    const rows = await this.breaks.reviewQueue(status, LIST_LIMIT);
    await this.audit.allow({ subjectId: user.userId, action: 'emergency.list', reason: `review queue: ${rows.length} break-glass(es)` });
    return { items: await this.present(rows) };
  }

  async review(user: AuthUser, breakId: string, request: ReviewEmergencyRequest): Promise<EmergencyBreak> {
    const found = await this.breaks.find(breakId);
    if (!found) {
      this.audit.deny({ subjectId: user.userId, action: 'emergency.reviewed', reason: `no such break ${breakId}` });
      throw ApiError.notFound('No such break-glass');
    }
    const note = request.note.trim();
    await this.breaks.review(breakId, user.userId, request.outcome, note);
    await this.audit.allow({ subjectId: found.patient_id, action: 'emergency.reviewed', reason: `break ${breakId}: ${request.outcome}: ${note}` });
    return this.presentOne(await this.breaks.find(breakId));
  }

  /** The caller's own break, in its time box; else 404 (not theirs) or 410 (ended), each filed in the patient's trail. */
  private async ownBreak(user: AuthUser, breakId: string, action: 'record.read' | 'emergency.list', recordId?: string): Promise<EmergencyBreakRow> {
    const found = await this.breaks.find(breakId);
    const isOwn = found !== null && found.clinician_id === user.userId;
    // Under the caller's own break, a refusal for their standing belongs in the patient's trail, as a refused ordinary read does.
    await this.assertApprovedClinician(user, action, recordId, isOwn ? found.patient_id : undefined);
    if (!found || !isOwn) {
      const patient = await this.breaks.patientOf(breakId);
      this.audit.deny({ subjectId: patient ?? user.userId, action, recordId, reason: patient ? `break-glass ${breakId}: not the caller's` : `no such break ${breakId}` });
      throw ApiError.notFound('No such break-glass');
    }
    if (stateOf(found) === 'ended') {
      this.audit.deny({ subjectId: found.patient_id, action, recordId, reason: `break-glass ${breakId}: ended` });
      throw new ApiError(410, ERROR_CODES.emergencyEnded, `This break-glass ended at ${(found.ended_at ?? found.expires_at).toISOString()}`);
    }
    return found;
  }

  /** docs/protocol.md "Clinicians": only a doctor whose approval stands breaks the glass or reads under it (403 CLINICIAN_NOT_VERIFIED). */
  private async assertApprovedClinician(user: AuthUser, action: 'emergency.broken' | 'record.read' | 'emergency.list', recordId?: string, patientId?: string): Promise<void> {
    const status = (await this.clinicians.statusOf(user.userId)) ?? 'pending';
    if (status === 'approved') return;
    this.audit.deny({ subjectId: patientId ?? user.userId, action, recordId, reason: `clinician ${status}: no operator's approval stands` });
    throw new ApiError(403, ERROR_CODES.clinicianNotVerified, `Your clinician account is ${status}: you cannot break the glass`);
  }

  private async presentOne(row: EmergencyBreakRow | null): Promise<EmergencyBreak> {
    if (!row) throw ApiError.notFound('No such break-glass');
    return (await this.present([row]))[0];
  }

  private async present(rows: EmergencyBreakRow[]): Promise<EmergencyBreak[]> {
    const people = await this.breaks.people([...new Set(rows.flatMap((row) => [row.patient_id, row.clinician_id]))]);
    return rows.map((row) => ({
      id: row.id,
      patientId: row.patient_id,
      patientName: people.get(row.patient_id)?.display_name ?? '',
      clinicianId: row.clinician_id,
      clinicianName: people.get(row.clinician_id)?.display_name ?? '',
      clinicianOrganisation: people.get(row.clinician_id)?.organisation ?? null,
      reasonCode: row.reason_code,
      reasonText: row.reason_text,
      scope: row.scope,
      threshold: row.threshold,
      sharesReleased: row.shares_released,
      state: stateOf(row),
      createdAt: row.created_at.toISOString(),
      expiresAt: row.expires_at.toISOString(),
      endedAt: row.ended_at?.toISOString() ?? null,
      reviewOutcome: row.review_outcome,
      reviewNote: row.review_note,
      reviewedAt: row.reviewed_at?.toISOString() ?? null,
    }));
  }
}

function stateOf(row: EmergencyBreakRow): EmergencyBreak['state'] {
  if (row.ended_at !== null || row.expires_at.getTime() <= Date.now()) return 'ended';
  return row.shares_released >= row.threshold ? 'open' : 'waiting';
}
