import { Inject, Injectable } from '@nestjs/common';
import { ERROR_CODES, type MoveRecordPreview, type MoveRecordRequest, type RecordSummary } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { checkSealedBlob } from '../identity/key-material.js';
import type { AuthUser } from '../identity/auth-user.js';
import { RecordAccess } from '../access/record-access.service.js';
import { RecordsRepository, type RecordRow } from '../access/records.repository.js';
import { checkDoctorWrapsCover } from './doctor-wraps.js';
import { RecordsService, toSummary } from './records.service.js';

/**
 * A patient organising their own records (docs/protocol.md "Organising records"):
 * the trash and restoring from it, metadata re-sealed in the browser, and moves
 * between folders, which change which doctors' consents cover the record. Each
 * route has ConsentGuard's ownership decision first; each change is audited.
 */
@Injectable()
export class RecordOrganising {
  private readonly trashDays: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
    private readonly access: RecordAccess,
    private readonly records: RecordsRepository,
    private readonly recordsService: RecordsService,
  ) {
    this.trashDays = Math.round((config.records.trashRetentionSeconds / 86_400) * 10) / 10;
  }

  /** To the trash: listed only in the owner's trash, hidden from every doctor, deleted by the sweep after the retention. */
  async trash(user: AuthUser, recordId: string): Promise<RecordSummary> {
    const record = await this.access.requireOwned(user, recordId, 'record.trash');
    if (record.trashedAt) throw new ApiError(409, ERROR_CODES.recordInTrash, 'The record is in the trash already');
    await this.records.setTrashedAt(record.id, new Date());
    await this.audit.allow({ subjectId: user.userId, action: 'record.trash', recordId: record.id, reason: `deleted for good after ${this.trashDays} day(s) unless restored` });
    return this.summaryOf(user, record.id);
  }

  /** Back from the trash, into the folder it was in (or none, if that folder was deleted meanwhile); doctors' wraps were kept. */
  async restore(user: AuthUser, recordId: string): Promise<RecordSummary> {
    const record = await this.access.requireOwned(user, recordId, 'record.restore');
    if (!record.trashedAt) throw new ApiError(409, ERROR_CODES.recordNotInTrash, 'The record is not in the trash');
    await this.records.setTrashedAt(record.id, null);
    await this.audit.allow({ subjectId: user.userId, action: 'record.restore', recordId: record.id, reason: `in the trash since ${record.trashedAt.toISOString()}` });
    return this.summaryOf(user, record.id);
  }

  /** Replaces the sealed metadata document (the browser re-sealed it under the same file key; the server cannot read it). */
  async updateMetadata(user: AuthUser, recordId: string, metadata: string): Promise<RecordSummary> {
    const problem = checkSealedBlob('metadata', metadata);
    if (problem) throw ApiError.validation([problem]);
    const record = await this.changeable(user, recordId, 'record.update');
    await this.records.updateMetadata(record.id, metadata);
    await this.audit.allow({ subjectId: user.userId, action: 'record.update', recordId: record.id, reason: 'metadata re-sealed' });
    return this.summaryOf(user, record.id);
  }

  /** What a move into `folderId` (null: no folder) would change: the doctors to wrap for, and the doctors who would lose the record. */
  async movePreview(user: AuthUser, recordId: string, folderId: string | null): Promise<MoveRecordPreview> {
    const record = await this.changeable(user, recordId, 'record.move');
    if (folderId) await this.recordsService.assertOwnFolder(user, folderId, record.id, 'record.move');
    const holders = await this.records.doctorWrapHolders(record.id);
    const covering = await this.access.coveringDoctors(user, folderId);
    return {
      coveringDoctors: covering.filter((doctor) => !holders.has(doctor.id)),
      losingDoctors: await this.records.uncoveredWrapHolders(record.id, folderId),
    };
  }

  /**
   * Moves the record (DESIGN 5 for consents by folder): the doctors whose consent in force
   * covers it in the new place and who hold no wrap must be given one in the request (the
   * browser wraps, as at upload); after the move, the wraps that no consent in force covers are
   * removed, so a doctor whose folder consent no longer takes the record in cannot open it.
   */
  async move(user: AuthUser, recordId: string, request: MoveRecordRequest): Promise<RecordSummary> {
    const record = await this.changeable(user, recordId, 'record.move');
    const folderId = request.folderId;
    if (folderId) await this.recordsService.assertOwnFolder(user, folderId, record.id, 'record.move');
    const holders = await this.records.doctorWrapHolders(record.id);
    const required = new Set([...(await this.access.coveringDoctorIds(user, folderId))].filter((doctorId) => !holders.has(doctorId)));
    const added = checkDoctorWrapsCover(required, request.doctorWraps ?? []);
    await this.records.setFolder(record.id, folderId);
    for (const wrap of added) await this.records.putDoctorWraps(wrap.doctorId, user.userId, [{ recordId: record.id, wrap: wrap.wrap }], null);
    const removed = await this.records.removeUncoveredRecordWraps(record.id);
    const changes = [added.length ? `wrapped for ${added.map((wrap) => wrap.doctorId).sort().join(', ')}` : '', removed.length ? `wraps removed for ${removed.join(', ')}` : ''].filter(Boolean);
    await this.audit.allow({
      subjectId: user.userId,
      action: 'record.move',
      recordId: record.id,
      reason: `from ${record.folderId ?? 'no folder'} to ${folderId ?? 'no folder'}${changes.length ? `; ${changes.join('; ')}` : ''}`,
    });
    return this.summaryOf(user, record.id);
  }

  /** The caller's own record that is not in the trash (a record in the trash is restored before it changes). */
  private async changeable(user: AuthUser, recordId: string, action: 'record.update' | 'record.move'): Promise<RecordRow> {
    const record = await this.access.requireOwned(user, recordId, action);
    if (record.trashedAt) throw new ApiError(409, ERROR_CODES.recordInTrash, 'The record is in the trash: restore it first');
    return record;
  }

  private async summaryOf(user: AuthUser, recordId: string): Promise<RecordSummary> {
    const found = await this.records.findReadable(recordId, user.userId);
    if (!found) throw new Error(`record ${recordId} vanished inside the transaction that changed it`);
    return toSummary(found.record, found.wrap.wrap);
  }
}
