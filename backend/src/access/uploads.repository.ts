import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';
import { UploadEntity } from './entities/upload.entity.js';
import type { StoredRecordLayout } from './records.repository.js';

/** An upload reserved by presign and not yet committed, as `uploads` holds it. */
export interface UploadRow {
  recordId: string;
  ownerId: string;
  size: number;
  chunkBytes: number;
  expiresAt: Date;
}

/** The SQL of `uploads` (RLS: a patient sees only their own). */
@Injectable()
export class UploadsRepository {
  constructor(private readonly db: Db) {}

  async find(recordId: string): Promise<UploadRow | null> {
    return await this.uploads().findOneBy({ recordId });
  }

  async insert(upload: UploadRow): Promise<void> {
    await this.uploads().insert(upload);
  }

  async renew(recordId: string, expiresAt: Date): Promise<void> {
    await this.uploads().update({ recordId }, { expiresAt });
  }

  async delete(recordId: string): Promise<void> {
    await this.uploads().delete({ recordId });
  }

  /** Uploads whose URLs expired before `before`, for the sweep (expired_uploads() looks past RLS). */
  async expiredBatch(before: Date, limit: number): Promise<Array<Omit<UploadRow, 'expiresAt'>>> {
    const rows = await this.db
      .manager()
      .query<Array<{ record_id: string; owner_id: string; size: string; chunk_bytes: number }>>('SELECT record_id, owner_id, size, chunk_bytes FROM expired_uploads($1, $2)', [before, limit]);
    return rows.map((row) => ({ recordId: row.record_id, ownerId: row.owner_id, size: Number(row.size), chunkBytes: row.chunk_bytes }));
  }

  /** Removes an expired upload and queues its objects for deletion, in one statement (expire_upload()). */
  async expire(recordId: string, objectKeys: readonly string[]): Promise<void> {
    await this.db.manager().query('SELECT expire_upload($1, $2)', [recordId, objectKeys]);
  }

  private uploads() {
    return this.db.manager().getRepository(UploadEntity);
  }

  /** An erasure's pending uploads (their objects must go too). */
  async layoutsOwnedBy(ownerId: string): Promise<StoredRecordLayout[]> {
    const rows = await this.db
      .manager()
      .query<Array<{ record_id: string; size: string; chunk_bytes: number }>>('SELECT record_id, size, chunk_bytes FROM uploads WHERE owner_id = $1', [ownerId]);
    return rows.map((row) => ({ recordId: row.record_id, size: Number(row.size), chunkBytes: row.chunk_bytes }));
  }
}
