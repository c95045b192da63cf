import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ERROR_CODES,
  ROUTES,
  RECORD_CHUNK_BYTES,
  recordLayout,
  type CommitDoctorWrap,
  type CommitRecordRequest,
  type ListRecordsQuery,
  type PresignUploadRequest,
  type PresignUploadResponse,
  type RecordDetail,
  type RecordPage,
  type RecordSummary,
  type SegmentUrl,
} from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import { checkSealedBlob } from '../identity/key-material.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { DependencyUnavailable } from '../common/dependency-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Db } from '../db/db.service.js';
import { KeyGenerations } from '../key-generations/key-generations.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { StorageService } from '../storage/storage.service.js';
import { RecordAccess, type ReadableRecord } from '../access/record-access.service.js';
import { segmentObjectKey, segmentObjectKeys } from './object-keys.js';
import { checkDoctorWrapsCover } from './doctor-wraps.js';
import { decodeCursor, encodeCursor } from '../common/page-cursor.js';
import { RecordsRepository, type RecordRow } from '../access/records.repository.js';
import { UploadsRepository, type UploadRow } from '../access/uploads.repository.js';
import { TrustedContactsRepository } from '../access/trusted-contacts.repository.js';
import { EmergencyWrapsRepository } from '../access/emergency-wraps.repository.js';
import { SharesEndedByDeletion } from '../access/shares-ended-by-deletion.js';

const DEFAULT_PAGE = 50;

/** Records (DESIGN 4.3, 5): the API holds sealed metadata and wraps; objects hold ciphertext. */
@Injectable()
export class RecordsService {
  private readonly limits: AppConfig['records'];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly db: Db,
    private readonly storage: StorageService,
    private readonly deletions: ObjectDeletions,
    private readonly audit: AuditService,
    private readonly access: RecordAccess,
    private readonly owners: AttemptOwners,
    private readonly keyGenerations: KeyGenerations,
    private readonly records: RecordsRepository,
    private readonly uploads: UploadsRepository,
    private readonly contacts: TrustedContactsRepository,
    private readonly emergency: EmergencyWrapsRepository,
    private readonly sharesEnded: SharesEndedByDeletion,
  ) {
    this.limits = config.records;
  }

  /** Reserves a record id (chosen here, never by the client) and signs one PUT per segment. */
  async presignUpload(user: AuthUser, request: PresignUploadRequest): Promise<PresignUploadResponse> {
    if (request.size > this.limits.maxBytes) {
      throw new ApiError(413, ERROR_CODES.recordTooLarge, `The file is larger than the limit of ${formatBytes(this.limits.maxBytes)}`);
    }
    // Before anything is reserved: a refused folder leaves no upload behind.
    if (request.folderId) await this.assertOwnFolder(user, request.folderId, request.recordId, 'record.upload');
    const expiresAt = new Date(Date.now() + this.limits.uploadUrlSeconds * 1000);
    let upload: UploadRow;
    if (request.recordId) {
      const pending = await this.uploads.find(request.recordId);
      if (!pending) return this.access.notFound(request.recordId, 'record.upload');
      if (pending.size !== request.size) {
        throw ApiError.validation([{ field: 'size', message: `size must stay ${pending.size}, the size this upload was started with` }]);
      }
      await this.uploads.renew(pending.recordId, expiresAt);
      upload = { ...pending, expiresAt };
    } else {
      upload = { recordId: randomUUID(), ownerId: user.userId, size: request.size, chunkBytes: RECORD_CHUNK_BYTES, expiresAt };
      await this.uploads.insert(upload);
    }
    // Sent together, so they travel in one round trip (the connection pipelines; PostgreSQL runs them in order).
    const [coveringDoctors, contacts, emergency] = await Promise.all([
      this.access.coveringDoctors(user, request.folderId ?? null),
      this.contacts.coveringContacts(user.userId, request.folderId ?? null),
      this.emergency.keyForFolder(user.userId, request.folderId ?? null),
    ]);
    const coveringContacts = contacts.flatMap((contact) =>
      contact.publicKey === null ? [] : [{ id: contact.contactId, displayName: contact.displayName, publicKey: contact.publicKey }],
    );
    await this.audit.allow({ subjectId: user.userId, action: 'record.upload', recordId: upload.recordId });
    const segments: SegmentUrl[] = recordLayout(upload.size, upload.chunkBytes).segments.map((segment) => ({
      index: segment.index,
      byteLength: segment.byteLength,
      ...this.storage.presignPut(segmentObjectKey(upload.recordId, segment.index), this.limits.uploadUrlSeconds, segment.byteLength),
    }));
    const emergencyKey = emergency ? { publicKey: emergency.public_key, keyCheck: emergency.key_check } : null;
    return { recordId: upload.recordId, chunkBytes: upload.chunkBytes, segments, expiresAt: expiresAt.toISOString(), coveringDoctors, coveringContacts, emergencyKey };
  }

  /**
   * Commits an upload once every segment object is in the store with exactly
   * the size the layout promises (DESIGN 5). Nothing is written otherwise.
   * Three steps, so that no database connection is held while the store is
   * asked (a slow or frozen store must not stall other requests): read the
   * upload, check the objects, then commit in a transaction that checks the
   * upload again (another commit or the sweep may have come first).
   */
  async commit(user: AuthUser, request: CommitRecordRequest): Promise<RecordSummary> {
    const problems = [checkSealedBlob('metadata', request.metadata), checkSealedBlob('ownerWrap', request.ownerWrap)].filter((p) => p !== null);
    if (problems.length) throw ApiError.validation(problems);
    const upload = await this.db.transaction(() => this.committableUpload(request));
    await this.assertStored(upload).catch(async (error: unknown) => {
      // The attempt is on the record even though the store could not be asked.
      if (error instanceof DependencyUnavailable) {
        const reason = 'not completed: the object store was unavailable';
        await this.db.transaction(() => this.audit.record({ subjectId: user.userId, action: 'record.create', outcome: 'deny', recordId: upload.recordId, reason }));
      }
      throw error;
    });
    return this.db.transaction(async () => {
      const current = await this.committableUpload(request);
      const keyGeneration = await this.keyGenerations.sealingGeneration(user.userId, request.keyGeneration);
      const doctorWraps = await this.checkDoctorWraps(user, request);
      const contactWraps = await this.checkContactWraps(user, request);
      const emergencyWrap = await this.checkEmergencyWrap(user, request);
      const record: RecordRow = {
        id: current.recordId,
        ownerId: user.userId,
        folderId: request.folderId ?? null,
        size: current.size,
        chunkBytes: current.chunkBytes,
        metadata: request.metadata,
        createdAt: new Date(),
        trashedAt: null,
      };
      await this.records.insertWithWraps(record, [
        { recipientId: user.userId, wrap: request.ownerWrap, keyGeneration },
        ...doctorWraps.map((wrap) => ({ recipientId: wrap.doctorId, wrap: wrap.wrap, keyGeneration: null })),
      ]);
      for (const { contact, wrap } of contactWraps) await this.contacts.insertWraps(contact, [{ recordId: record.id, wrap }]);
      if (emergencyWrap !== null) await this.emergency.addWrap(user.userId, record.id, emergencyWrap);
      await this.uploads.delete(current.recordId);
      await this.audit.allow({ subjectId: user.userId, action: 'record.create', recordId: record.id });
      return toSummary(record, request.ownerWrap);
    });
  }

  /** The caller's pending upload for this commit, or the refusal: already committed (409), unknown (404), bad folder (400). */
  private async committableUpload(request: CommitRecordRequest): Promise<UploadRow> {
    if (await this.records.exists(request.recordId)) {
      throw new ApiError(409, ERROR_CODES.alreadyCommitted, 'This upload is already committed');
    }
    const upload = await this.uploads.find(request.recordId);
    if (!upload) return this.access.notFound(request.recordId, 'record.create');
    if (request.folderId) await this.assertOwnFolder({ userId: upload.ownerId }, request.folderId, upload.recordId, 'record.create');
    return upload;
  }

  /** A folder named for a record must be the caller's; another patient's is an attempt filed in their trail (400 either way). */
  async assertOwnFolder(user: Pick<AuthUser, 'userId'>, folderId: string, recordId: string | undefined, action: 'record.upload' | 'record.create' | 'record.move'): Promise<void> {
    const owner = await this.owners.ownerOf('folder', folderId);
    if (owner === user.userId) return;
    if (owner !== null) this.audit.deny({ subjectId: owner, action, recordId, reason: `folder ${folderId.toLowerCase()} is not the caller's` });
    throw ApiError.validation([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
  }

  async list(user: AuthUser, query: ListRecordsQuery): Promise<RecordPage> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const filter = {
      recipientId: user.userId,
      limit,
      folderId: query.folderId,
      ownerId: query.ownerId,
      isTrash: query.view === 'trash',
      before: query.cursor ? decodeCursor(query.cursor) : undefined,
    };
    // A patient lists their own records, a doctor those shared with them: each statement reads one page (issue 14), a look-up the ids asked for.
    const ids = query.ids?.split(',');
    const rows = ids
      ? await this.records.listWrappedByIds({ ...filter, ids }, user.role === 'patient')
      : user.role === 'doctor'
        ? await this.records.listSharedWrapped(filter)
        : await this.records.listOwnWrapped(filter);
    if (rows.length === 0 && user.role === 'doctor') await this.access.assertVerifiedClinician(ROUTES.listRecords);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    // A listing hands out sealed metadata and wraps: one row in each listed patient's trail.
    // Asking for another patient's records and getting none is a denied attempt, kept in the
    // caller's own trail (the id may name nobody).
    const owners = new Set(page.map((row) => row.ownerId));
    if (owners.size === 0 && query.ownerId && query.ownerId !== user.userId) {
      await this.audit.record({ subjectId: user.userId, action: 'record.list', outcome: 'deny', reason: `nothing of ${query.ownerId} is shared with you` });
    } else if (owners.size === 0) {
      owners.add(user.userId);
    }
    for (const ownerId of owners) {
      const listed = page.filter((row) => row.ownerId === ownerId).length;
      await this.audit.allow({ subjectId: ownerId, action: 'record.list', reason: `${listed} record(s)` });
    }
    return {
      items: page.map((row) => toSummary(row, row.wrap)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /**
   * The caller's wrap, the sealed metadata and GET URLs of about a minute
   * (DESIGN 5), for a read ConsentGuard allowed (RecordAccess.requireReadable
   * decided and audited it).
   */
  read({ record, wrap }: ReadableRecord): RecordDetail {
    const expiresAt = new Date(Date.now() + this.limits.downloadUrlSeconds * 1000);
    const segments: SegmentUrl[] = recordLayout(record.size, record.chunkBytes).segments.map((segment) => ({
      index: segment.index,
      byteLength: segment.byteLength,
      ...this.storage.presignGet(segmentObjectKey(record.id, segment.index), this.limits.downloadUrlSeconds),
    }));
    return { ...toSummary(record, wrap.wrap), segments, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Deletes the metadata and the wraps, then the objects; the audit trail
   * stays (DESIGN 5). The objects are queued in the deleting transaction and
   * removed only after it committed (ObjectDeletions), so a crash at any point
   * never leaves a listed record without its content.
   */
  async delete(user: AuthUser, recordId: string): Promise<void> {
    const objectKeys = await this.db.transaction(async () => {
      // ConsentGuard checked ownership already; asked again in this transaction (another delete may have come first).
      const record = await this.access.requireOwned(user, recordId, 'record.delete');
      const keys = segmentObjectKeys(record.id, record.size, record.chunkBytes);
      await this.sharesEnded.ofRecord(user.userId, record.id, 'deleted');
      await this.records.delete(recordId);
      await this.deletions.queue(user.userId, keys.map((objectKey) => ({ recordId: record.id, objectKey })));
      await this.audit.allow({ subjectId: user.userId, action: 'record.delete', recordId });
      return keys;
    });
    await this.deletions.removeNow(objectKeys);
  }

  /**
   * DESIGN 5: a record committed into a scope an active consent covers (its
   * folder, or everything) carries a wrap for each such doctor, so no doctor
   * silently loses access to new records. Wraps for anyone else are refused.
   */
  private async checkDoctorWraps(user: AuthUser, request: CommitRecordRequest): Promise<CommitDoctorWrap[]> {
    const required = await this.access.coveringDoctorIds(user, request.folderId ?? null);
    return checkDoctorWrapsCover(required, request.doctorWraps ?? []);
  }

  /**
   * docs/protocol.md "Trusted contacts": a record committed into a trusted contact's scope carries
   * a wrap for that contact (presign's coveringContacts), so a contact released later reads it too.
   * A wrap for anyone else is a 400, a missing one a 409 CONTACT_WRAP_MISSING.
   */
  private async checkContactWraps(user: AuthUser, request: CommitRecordRequest): Promise<Array<{ contact: { id: string; patientId: string; contactId: string }; wrap: string }>> {
    const covering = await this.contacts.coveringContacts(user.userId, request.folderId ?? null);
    const given = request.contactWraps ?? [];
    const byContact = new Map(covering.map((contact) => [contact.contactId, contact]));
    const givenIds = new Set(given.map((wrap) => wrap.contactId));
    const unexpected = given.filter((wrap) => !byContact.has(wrap.contactId)).map((wrap) => wrap.contactId);
    if (givenIds.size !== given.length || unexpected.length) {
      const message = unexpected.length ? `no trusted contact whose scope takes this record in: ${unexpected.join(', ')}` : 'a contact is wrapped twice';
      throw ApiError.validation([{ field: 'contactWraps', message }]);
    }
    const missing = covering.filter((contact) => !givenIds.has(contact.contactId)).map((contact) => contact.contactId);
    if (missing.length) {
      throw new ApiError(409, ERROR_CODES.contactWrapMissing, `A trusted contact's scope takes this record in: add a wrap for contact(s) ${missing.join(', ')}`, [
        { field: 'contactWraps', message: `missing for ${missing.join(', ')}` },
      ]);
    }
    return given.map((wrap) => {
      const contact = byContact.get(wrap.contactId) as (typeof covering)[number];
      return { contact: { id: contact.trustedContactId, patientId: user.userId, contactId: contact.contactId }, wrap: wrap.wrap };
    });
  }

  /**
   * docs/protocol.md "Break-glass": a record committed where the patient's break-glass reaches
   * carries the emergency wrap of its file key (409 EMERGENCY_WRAP_MISSING without); one
   * elsewhere carries none (400).
   */
  private async checkEmergencyWrap(user: AuthUser, request: CommitRecordRequest): Promise<string | null> {
    const key = await this.emergency.keyForFolder(user.userId, request.folderId ?? null);
    if (key && request.emergencyWrap === undefined) {
      throw new ApiError(409, ERROR_CODES.emergencyWrapMissing, 'Break-glass reaches where this record goes: add its emergency wrap', [{ field: 'emergencyWrap', message: 'missing' }]);
    }
    if (!key && request.emergencyWrap !== undefined) throw ApiError.validation([{ field: 'emergencyWrap', message: 'break-glass does not reach where this record goes' }]);
    return request.emergencyWrap ?? null;
  }

  private async assertStored(upload: UploadRow): Promise<void> {
    for (const segment of recordLayout(upload.size, upload.chunkBytes).segments) {
      const stored = await this.storage.sizeOf(segmentObjectKey(upload.recordId, segment.index));
      if (stored !== segment.byteLength) {
        const found = stored === null ? 'is missing' : `holds ${stored} bytes, not ${segment.byteLength}`;
        throw new ApiError(409, ERROR_CODES.uploadIncomplete, `Segment ${segment.index} of the upload ${found}`);
      }
    }
  }
}

export function toSummary(record: RecordRow, wrap: string): RecordSummary {
  return {
    id: record.id,
    ownerId: record.ownerId,
    folderId: record.folderId,
    size: record.size,
    chunkBytes: record.chunkBytes,
    createdAt: record.createdAt.toISOString(),
    metadata: record.metadata,
    wrap,
    trashedAt: record.trashedAt?.toISOString() ?? null,
  };
}

function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${Number(gib.toFixed(1))} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
