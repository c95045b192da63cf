import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/** A committed record as the access decision sees it (table `records`). */
export interface AccessRecordRow {
  id: string;
  ownerId: string;
  folderId: string | null;
  size: number;
  chunkBytes: number;
  metadata: string;
  createdAt: Date;
}

/** A recipient's wrap of a record's file key (table `record_wraps`). */
export interface AccessWrapRow {
  wrap: string;
  /** The doctor key the wrap was made for; null for the owner's own wrap. */
  keyFingerprint: string | null;
}

/** A doctor a new upload must be wrapped for, with the name the patient knows them by. */
export interface CoveringDoctorRow {
  doctorId: string;
  displayName: string;
}

/**
 * The SQL of the record-access decision (access/record-access.service.ts): a
 * record, the caller's wrap of it, its owner for a refused attempt, and the
 * consent rule as SQL functions (migration consent-rule): the narrowest
 * consent that covers a doctor's read, the doctors a new upload must be
 * wrapped for. Runs in the request's transaction under RLS: a doctor sees a
 * record only while a consent covers it (policy records_consented_doctor).
 */
@Injectable()
export class RecordAccessRepository {
  constructor(private readonly db: Db) {}

  async findRecord(recordId: string): Promise<AccessRecordRow | null> {
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

  async findWrap(recordId: string, recipientId: string): Promise<AccessWrapRow | null> {
    const [row] = await this.db
      .manager()
      .query<Array<{ wrap: string; key_fingerprint: string | null }>>('SELECT wrap, key_fingerprint FROM record_wraps WHERE record_id = $1 AND recipient_id = $2', [recordId, recipientId]);
    return row ? { wrap: row.wrap, keyFingerprint: row.key_fingerprint } : null;
  }

  /** The owner of a record whatever the caller may see (record_owner() looks past RLS), or null. */
  async ownerOf(recordId: string): Promise<string | null> {
    const [row] = await this.db.manager().query<Array<{ owner: string | null }>>('SELECT record_owner($1) AS owner', [recordId]);
    return row?.owner ?? null;
  }

  /** The narrowest consent in force that lets this doctor read this record (covering_consent()), or null. */
  async coveringConsent(doctorId: string, record: Pick<AccessRecordRow, 'id' | 'ownerId' | 'folderId'>): Promise<string | null> {
    const [row] = await this.db
      .manager()
      .query<Array<{ id: string | null }>>('SELECT covering_consent($1, $2, $3, $4) AS id', [doctorId, record.ownerId, record.id, record.folderId]);
    return row?.id ?? null;
  }

  /** The doctors whose consent in force covers a new record of this patient in this folder (covering_doctors()). */
  async coveringDoctors(ownerId: string, folderId: string | null): Promise<CoveringDoctorRow[]> {
    const rows = await this.db.manager().query<Array<{ doctor_id: string; display_name: string | null }>>(
      `SELECT d.doctor_id, n.display_name FROM covering_doctors($1, $2) d
       LEFT JOIN consent_party_names() n ON n.id = d.doctor_id ORDER BY d.doctor_id`,
      [ownerId, folderId],
    );
    return rows.map((row) => ({ doctorId: row.doctor_id, displayName: row.display_name ?? '' }));
  }
}
