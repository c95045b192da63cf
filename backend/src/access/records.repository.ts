import { Injectable } from '@nestjs/common';
import { ERROR_CODES } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';
import { RecordWrapEntity } from './entities/record-wrap.entity.js';
import { RecordEntity } from './entities/record.entity.js';

/** A committed record as `records` holds it. */
export interface RecordRow {
  id: string;
  ownerId: string;
  folderId: string | null;
  size: number;
  chunkBytes: number;
  metadata: string;
  createdAt: Date;
}

/** A recipient's wrap of a record's file key (table `record_wraps`). */
export interface WrapRow {
  wrap: string;
  /** The doctor key the wrap was made for; null for the owner's own wrap. */
  keyFingerprint: string | null;
}

/** A record with the reader's wrap, the consent the read is under, and whether the wrap opens with the reader's current key. */
export interface ReadableRecordRow {
  record: RecordRow;
  wrap: WrapRow;
  consentId: string | null;
  isWrapCurrent: boolean;
}

/** A stored object's record: its id and layout name its segments' object keys (records/object-keys.ts). */
export interface StoredRecordLayout {
  recordId: string;
  size: number;
  chunkBytes: number;
}

/** A listed record with the caller's wrap of it. */
export type WrappedRecordRow = RecordRow & { wrap: string };

export interface RecordListFilter {
  recipientId: string;
  limit: number;
  folderId?: string;
  ownerId?: string;
  before?: { createdAt: string; id: string };
}

/** A wrap of alias `w` that opens with its recipient's current key: the owner's (no key named), or a doctor's for the doctor's current key. */
const CURRENT_KEY_WRAP = '(w.key_fingerprint IS NULL OR w.key_fingerprint = (SELECT k.fingerprint FROM public_keys k WHERE k.user_id = w.recipient_id))';

/**
 * The SQL of `records` and `record_wraps`: the reads of the access decision
 * (RecordAccess), commits, listings, deletions, and the doctor wraps a consent
 * adds, re-makes or leaves behind. Under RLS a patient sees their own records,
 * a doctor those a consent in force covers (policy records_consented_doctor).
 */
@Injectable()
export class RecordsRepository {
  constructor(private readonly db: Db) {}

  /** One record as the caller's RLS context sees it (a doctor: only under a consent in force), or null. */
  async find(recordId: string): Promise<RecordRow | null> {
    const [row] = await this.db.manager().query<Array<{
      id: string;
      owner_id: string;
      folder_id: string | null;
      size: string;
      chunk_bytes: number;
      metadata: string;
      created_at: Date;
    }>>('SELECT id, owner_id, folder_id, size, chunk_bytes, metadata, created_at FROM records WHERE id = $1', [recordId]);
    if (!row) return null;
    return { id: row.id, ownerId: row.owner_id, folderId: row.folder_id, size: Number(row.size), chunkBytes: row.chunk_bytes, metadata: row.metadata, createdAt: row.created_at };
  }

  /**
   * A read's whole decision in one statement (issue 14): the record as the caller's RLS context
   * sees it, the caller's wrap of it, the narrowest consent in force it is read under (a
   * doctor's read of another's record: covering_consent()), and whether the wrap opens with the
   * caller's current key. Null when the caller sees no such record or holds no wrap of it.
   */
  async findReadable(recordId: string, readerId: string): Promise<ReadableRecordRow | null> {
    const [row] = await this.db.manager().query<Array<{
      id: string;
      owner_id: string;
      folder_id: string | null;
      size: string;
      chunk_bytes: number;
      metadata: string;
      created_at: Date;
      wrap: string;
      key_fingerprint: string | null;
      consent_id: string | null;
      is_wrap_current: boolean;
    }>>(
      `SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, w.wrap, w.key_fingerprint,
         CASE WHEN r.owner_id = $2 THEN NULL ELSE covering_consent($2, r.owner_id, r.id, r.folder_id) END AS consent_id,
         (w.key_fingerprint IS NULL OR w.key_fingerprint = (SELECT k.fingerprint FROM public_keys k WHERE k.user_id = $2)) AS is_wrap_current
       FROM records r JOIN record_wraps w ON w.record_id = r.id AND w.recipient_id = $2
       WHERE r.id = $1`,
      [recordId, readerId],
    );
    if (!row) return null;
    return {
      record: { id: row.id, ownerId: row.owner_id, folderId: row.folder_id, size: Number(row.size), chunkBytes: row.chunk_bytes, metadata: row.metadata, createdAt: row.created_at },
      wrap: { wrap: row.wrap, keyFingerprint: row.key_fingerprint },
      consentId: row.consent_id,
      isWrapCurrent: row.is_wrap_current,
    };
  }

  /** The owner of a record whatever the caller may see (record_owner() looks past RLS), or null. */
  async ownerOf(recordId: string): Promise<string | null> {
    const [row] = await this.db.manager().query<Array<{ owner: string | null }>>('SELECT record_owner($1) AS owner', [recordId]);
    return row?.owner ?? null;
  }

  async exists(recordId: string): Promise<boolean> {
    return await this.records().existsBy({ id: recordId });
  }

  async hasRecordsIn(folderId: string): Promise<boolean> {
    return await this.records().existsBy({ folderId });
  }

  /** Inserts a record and its wraps; a second commit of one id is a 409. */
  async insertWithWraps(record: RecordRow, wraps: Array<{ recipientId: string; wrap: string; keyGeneration: number | null }>): Promise<void> {
    const manager = this.db.manager();
    await manager
      .getRepository(RecordEntity)
      .insert(record)
      .catch((error: unknown) => {
        if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') {
          throw new ApiError(409, ERROR_CODES.alreadyCommitted, 'This upload is already committed');
        }
        throw error;
      });
    await manager.getRepository(RecordWrapEntity).insert(wraps.map((wrap) => ({ recordId: record.id, ownerId: record.ownerId, ...wrap })));
  }

  /** Records the recipient holds a wrap for that opens with their current key, newest first (one more than `limit`, to know whether a page follows). */
  async listWrapped(filter: RecordListFilter): Promise<WrappedRecordRow[]> {
    const builder = this.records()
      .createQueryBuilder('r')
      .innerJoinAndMapOne('r.wrap', RecordWrapEntity, 'w', `w.record_id = r.id AND w.recipient_id = :me AND ${CURRENT_KEY_WRAP}`, { me: filter.recipientId })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.folderId) builder.andWhere('r.folder_id = :folderId', { folderId: filter.folderId });
    if (filter.ownerId) builder.andWhere('r.owner_id = :ownerId', { ownerId: filter.ownerId });
    if (filter.before) builder.andWhere('(r.created_at, r.id) < (:createdAt, :id)', filter.before);
    const rows = (await builder.getMany()) as Array<RecordEntity & { wrap: RecordWrapEntity }>;
    return rows.map((row) => ({ ...toRow(row), wrap: row.wrap.wrap }));
  }

  async delete(recordId: string): Promise<void> {
    await this.records().delete({ id: recordId });
  }

  /** The patient's records a consent's scope takes in (consent_scope_includes()), of `among` when given. */
  async idsInConsentScope(consentId: string, among?: readonly string[]): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ id: string }>>(
      `SELECT r.id FROM consents c JOIN records r ON r.owner_id = c.patient_id
       WHERE c.id = $1 AND consent_scope_includes(c, r.id, r.folder_id) AND ($2::uuid[] IS NULL OR r.id = ANY($2::uuid[]))`,
      [consentId, among ?? null],
    );
    return rows.map((row) => row.id);
  }

  /**
   * A doctor's wraps of the owner's records, one statement for all (a consent over "all" may
   * carry thousands); each replaces the doctor's wrap of that record. Without a fingerprint the
   * database stamps the doctor's current key (record_wraps_stamp_key).
   */
  async putDoctorWraps(doctorId: string, ownerId: string, wraps: ReadonlyArray<{ recordId: string; wrap: string }>, fingerprint: string | null): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_fingerprint)
       SELECT w.record_id, $3, $4, w.wrap, $5 FROM unnest($1::uuid[], $2::text[]) AS w (record_id, wrap)
       ON CONFLICT (record_id, recipient_id) DO UPDATE SET wrap = EXCLUDED.wrap, key_fingerprint = EXCLUDED.key_fingerprint, created_at = now()`,
      [wraps.map((wrap) => wrap.recordId), wraps.map((wrap) => wrap.wrap), doctorId, ownerId, fingerprint],
    );
  }

  /** Deletes the consent's doctor's wraps of records in its scope that no consent in force covers any more (consent_covers()). */
  async removeUncoveredWraps(consentId: string): Promise<void> {
    await this.db.manager().query(
      `DELETE FROM record_wraps w USING consents c, records r
       WHERE c.id = $1 AND w.record_id = r.id AND w.recipient_id = c.doctor_id AND r.owner_id = c.patient_id
         AND consent_scope_includes(c, r.id, r.folder_id) AND NOT consent_covers(c.doctor_id, c.patient_id, r.id, r.folder_id)`,
      [consentId],
    );
  }

  /** The consent's doctor's wraps of records in its scope made for a key the doctor no longer has (docs/protocol.md "Key-pair rotation"). */
  async staleWrapCount(consentId: string): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ stale: number }>>(
      `SELECT count(*)::int AS stale FROM consents c
       JOIN records r ON r.owner_id = c.patient_id AND consent_scope_includes(c, r.id, r.folder_id)
       JOIN record_wraps w ON w.record_id = r.id AND w.recipient_id = c.doctor_id
       LEFT JOIN public_keys k ON k.user_id = w.recipient_id
       WHERE c.id = $1 AND w.key_fingerprint IS DISTINCT FROM k.fingerprint`,
      [consentId],
    );
    return row?.stale ?? 0;
  }

  private records() {
    return this.db.manager().getRepository(RecordEntity);
  }

  /** An erasure's records (docs/erasure.md): read by owner, since a doctor also sees the records a consent covers. */
  async layoutsOwnedBy(ownerId: string): Promise<StoredRecordLayout[]> {
    const rows = await this.db.manager().query<Array<{ id: string; size: string; chunk_bytes: number }>>('SELECT id, size, chunk_bytes FROM records WHERE owner_id = $1', [ownerId]);
    return rows.map((row) => ({ recordId: row.id, size: Number(row.size), chunkBytes: row.chunk_bytes }));
  }
}

function toRow(entity: RecordEntity): RecordRow {
  return { id: entity.id, ownerId: entity.ownerId, folderId: entity.folderId, size: entity.size, chunkBytes: entity.chunkBytes, metadata: entity.metadata, createdAt: entity.createdAt };
}
