import { Injectable } from '@nestjs/common';
import type { ConsentStatus } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

/** A stored object's record: its id and layout name its segments' object keys (records/object-keys.ts). */
export interface StoredRecordLayout {
  recordId: string;
  size: number;
  chunkBytes: number;
}

/** A consent the erased account is a party to, as stored. */
export interface ErasedConsent {
  id: string;
  patientId: string;
  doctorId: string;
  status: ConsentStatus;
  expiresAt: Date | null;
  /** consent_in_force(): active and not past its expiry (migration consent-rule). */
  inForce: boolean;
}

/**
 * What an erasure takes with it, read before the `users` row goes (the rest
 * goes by cascade, migration 1764560000000): the account's records and
 * uploads (their objects must be removed), its folders and its consents.
 * Read under the caller's RLS context; ownership is filtered explicitly,
 * since a doctor also sees the records their consents cover, which are not
 * theirs.
 */
@Injectable()
export class AccountErasureRepository {
  constructor(private readonly db: Db) {}

  async ownedRecords(ownerId: string): Promise<StoredRecordLayout[]> {
    const rows = await this.db.manager().query<Array<{ id: string; size: string; chunk_bytes: number }>>('SELECT id, size, chunk_bytes FROM records WHERE owner_id = $1', [ownerId]);
    return rows.map((row) => ({ recordId: row.id, size: Number(row.size), chunkBytes: row.chunk_bytes }));
  }

  async ownedUploads(ownerId: string): Promise<StoredRecordLayout[]> {
    const rows = await this.db
      .manager()
      .query<Array<{ record_id: string; size: string; chunk_bytes: number }>>('SELECT record_id, size, chunk_bytes FROM uploads WHERE owner_id = $1', [ownerId]);
    return rows.map((row) => ({ recordId: row.record_id, size: Number(row.size), chunkBytes: row.chunk_bytes }));
  }

  async ownedFolderCount(ownerId: string): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>('SELECT count(*) AS count FROM folders WHERE owner_id = $1', [ownerId]);
    return Number(row.count);
  }

  /** Consents naming the account as patient or as doctor. */
  async consentsOf(userId: string): Promise<ErasedConsent[]> {
    const rows = await this.db
      .manager()
      .query<Array<{ id: string; patient_id: string; doctor_id: string; status: ConsentStatus; expires_at: Date | null; in_force: boolean }>>(
        'SELECT c.id, c.patient_id, c.doctor_id, c.status, c.expires_at, consent_in_force(c) AS in_force FROM consents c WHERE c.patient_id = $1 OR c.doctor_id = $1',
        [userId],
      );
    return rows.map((row) => ({ id: row.id, patientId: row.patient_id, doctorId: row.doctor_id, status: row.status, expiresAt: row.expires_at, inForce: row.in_force }));
  }
}
