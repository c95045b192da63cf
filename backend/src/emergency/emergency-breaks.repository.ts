import { Injectable } from '@nestjs/common';
import type { EmergencyReasonCode, EmergencyReviewOutcome, EmergencyScope } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

export interface EmergencyBreakRow {
  id: string;
  patient_id: string;
  clinician_id: string;
  reason_code: EmergencyReasonCode;
  reason_text: string;
  scope: Exclude<EmergencyScope, 'off'>;
  threshold: number;
  generation: number;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  review_outcome: EmergencyReviewOutcome | null;
  review_note: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  /** Counted with each read. */
  shares_released: number;
}

export interface PatientSetupRow {
  patient_id: string;
  display_name: string;
  scope: EmergencyScope;
  threshold: number | null;
  hours: number;
  generation: number;
}

export interface EmergencyPersonRow {
  id: string;
  display_name: string;
  role: string;
  organisation: string | null;
}

export interface OpenRecordRow {
  record_id: string;
  owner_id: string;
  folder_id: string | null;
  size: string;
  chunk_bytes: number;
  metadata: string;
  created_at: Date;
  wrap: string;
}

/** The count comes from a definer function: RLS shows a holder only their own release, an auditor none. */
const BREAK_COLUMNS = `b.*, emergency_release_count(b.id) AS shares_released`;

/** The SQL of `emergency_breaks` and `emergency_releases`, and of the definer functions that open a break-glass. */
@Injectable()
export class EmergencyBreaksRepository {
  constructor(private readonly db: Db) {}

  async patientSetup(email: string): Promise<PatientSetupRow | null> {
    const [row] = await this.db.manager().query<PatientSetupRow[]>('SELECT * FROM emergency_patient_setup($1)', [email]);
    return row ?? null;
  }

  async insert(row: Omit<EmergencyBreakRow, 'ended_at' | 'review_outcome' | 'review_note' | 'reviewed_by' | 'reviewed_at' | 'shares_released' | 'created_at'>): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO emergency_breaks (id, patient_id, clinician_id, reason_code, reason_text, scope, threshold, generation, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [row.id, row.patient_id, row.clinician_id, row.reason_code, row.reason_text, row.scope, row.threshold, row.generation, row.expires_at],
    );
  }

  /** A break the caller may see (RLS: patient, clinician, a holder of the patient, an auditor). */
  async find(breakId: string): Promise<EmergencyBreakRow | null> {
    const [row] = await this.db.manager().query<EmergencyBreakRow[]>(`SELECT ${BREAK_COLUMNS} FROM emergency_breaks b WHERE b.id = $1`, [breakId]);
    return row ?? null;
  }

  /** The breaks a patient suffered or a clinician made, newest first. */
  async listOf(column: 'patient_id' | 'clinician_id', userId: string, limit: number): Promise<EmergencyBreakRow[]> {
    return await this.db.manager().query<EmergencyBreakRow[]>(
      `SELECT ${BREAK_COLUMNS} FROM emergency_breaks b WHERE b.${column} = $1 ORDER BY b.created_at DESC, b.id LIMIT $2`,
      [userId, limit],
    );
  }

  /** Breaks of patients whose share the holder keeps, in their time box and of the current key, the holder's share not yet released. */
  async waitingFor(holderId: string): Promise<EmergencyBreakRow[]> {
    return await this.db.manager().query<EmergencyBreakRow[]>(
      `SELECT ${BREAK_COLUMNS} FROM emergency_breaks b
        WHERE b.ended_at IS NULL AND b.expires_at > now()
          AND EXISTS (SELECT 1 FROM emergency_holders h WHERE h.patient_id = b.patient_id AND h.holder_id = $1)
          AND NOT EXISTS (SELECT 1 FROM emergency_releases r WHERE r.break_id = b.id AND r.holder_id = $1)
        ORDER BY b.created_at DESC, b.id LIMIT 50`,
      [holderId],
    );
  }

  /** Every break for the auditors' queue, those not reviewed first. */
  async reviewQueue(status: 'pending' | 'reviewed' | undefined, limit: number): Promise<EmergencyBreakRow[]> {
    return await this.db.manager().query<EmergencyBreakRow[]>(
      `SELECT ${BREAK_COLUMNS} FROM emergency_breaks b
        WHERE ($1::text IS NULL OR ($1 = 'pending') = (b.reviewed_at IS NULL))
        ORDER BY (b.reviewed_at IS NULL) DESC, b.created_at DESC, b.id LIMIT $2`,
      [status ?? null, limit],
    );
  }

  async hasReleased(breakId: string, holderId: string): Promise<boolean> {
    const rows = await this.db.manager().query<unknown[]>('SELECT 1 FROM emergency_releases WHERE break_id = $1 AND holder_id = $2', [breakId, holderId]);
    return rows.length > 0;
  }

  async release(breakId: string, holderId: string, share: string): Promise<void> {
    await this.db.manager().query('INSERT INTO emergency_releases (break_id, holder_id, share) VALUES ($1, $2, $3)', [breakId, holderId, share]);
  }

  async releasedShares(breakId: string): Promise<Array<{ holder_id: string; share: string }>> {
    return await this.db.manager().query<Array<{ holder_id: string; share: string }>>(
      'SELECT holder_id, share FROM emergency_releases WHERE break_id = $1 ORDER BY released_at, holder_id',
      [breakId],
    );
  }

  async isOpen(breakId: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ open: boolean }>>('SELECT emergency_break_is_open($1) AS open', [breakId]);
    return row.open;
  }

  async openKey(breakId: string): Promise<{ public_key: string; sealed_private_key: string } | null> {
    const [row] = await this.db.manager().query<Array<{ public_key: string; sealed_private_key: string }>>('SELECT * FROM emergency_open_key($1)', [breakId]);
    return row ?? null;
  }

  async openRecords(breakId: string, recordId: string | null): Promise<OpenRecordRow[]> {
    return await this.db.manager().query<OpenRecordRow[]>('SELECT * FROM emergency_open_records($1, $2)', [breakId, recordId]);
  }

  /** The patient’s breaks of earlier keys still in their time box: ended now (the re-key). */
  async endBefore(patientId: string, generation: number): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ id: string }>>(
      'WITH ended AS (UPDATE emergency_breaks SET ended_at = now() WHERE patient_id = $1 AND generation < $2 AND ended_at IS NULL AND expires_at > now() RETURNING id) SELECT id FROM ended',
      [patientId, generation],
    );
    return rows.map((row) => row.id);
  }

  /** Whether a clinician broke the glass on this key (the patient's browser then makes a new one). */
  async isKeyUsed(patientId: string, generation: number): Promise<boolean> {
    const rows = await this.db.manager().query<unknown[]>('SELECT 1 FROM emergency_breaks WHERE patient_id = $1 AND generation = $2 LIMIT 1', [patientId, generation]);
    return rows.length > 0;
  }

  async review(breakId: string, auditorId: string, outcome: EmergencyReviewOutcome, note: string): Promise<void> {
    await this.db.manager().query('UPDATE emergency_breaks SET review_outcome = $2, review_note = $3, reviewed_by = $4, reviewed_at = now() WHERE id = $1', [breakId, outcome, note, auditorId]);
  }

  async people(ids: string[]): Promise<Map<string, EmergencyPersonRow>> {
    const rows = await this.db.manager().query<EmergencyPersonRow[]>('SELECT * FROM emergency_people($1::uuid[])', [ids]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The holders of a patient's current key, whoever asks (a definer function: the clinician sees no holder row). */
  async holdersOfPatient(patientId: string): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ holder_id: string }>>('SELECT holder_id FROM emergency_holders_of($1)', [patientId]);
    return rows.map((row) => row.holder_id);
  }

  /** The patient of a break, whoever asks (for a refusal's row in that patient's trail). */
  async patientOf(breakId: string): Promise<string | null> {
    const [row] = await this.db.manager().query<Array<{ patient_id: string | null }>>('SELECT emergency_break_patient($1) AS patient_id', [breakId]);
    return row?.patient_id ?? null;
  }
}
