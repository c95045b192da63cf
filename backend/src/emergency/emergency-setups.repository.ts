import { Injectable } from '@nestjs/common';
import type { EmergencyScope } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

/** A patient's break-glass setup as `emergency_setups` holds it (RLS: the patient's own row only). */
export interface EmergencySetupRow {
  patient_id: string;
  scope: EmergencyScope;
  folder_id: string | null;
  public_key: string | null;
  fingerprint: string | null;
  sealed_private_key: string | null;
  key_check: string | null;
  threshold: number | null;
  hours: number;
  generation: number;
  updated_at: Date;
}

export interface EmergencyHolderRow {
  patient_id: string;
  holder_id: string;
  fingerprint: string;
  share: string;
}

export interface HolderCandidateRow {
  id: string;
  display_name: string;
  role: 'patient' | 'doctor';
  public_key: string;
  fingerprint: string;
  organisation: string | null;
}

/** The SQL of `emergency_setups`, `emergency_holders` and `emergency_wraps`: the patient's side of break-glass. */
@Injectable()
export class EmergencySetupsRepository {
  constructor(private readonly db: Db) {}

  async find(patientId: string): Promise<EmergencySetupRow | null> {
    const [row] = await this.db.manager().query<EmergencySetupRow[]>('SELECT * FROM emergency_setups WHERE patient_id = $1 FOR UPDATE', [patientId]);
    return row ?? null;
  }

  /** Replaces the setup (a new emergency key: generation + 1), its holders and its wraps. */
  async replace(setup: Omit<EmergencySetupRow, 'generation' | 'updated_at'>, holders: EmergencyHolderRow[], wraps: Array<{ recordId: string; wrap: string }>): Promise<EmergencySetupRow> {
    const manager = this.db.manager();
    const [row] = await manager.query<EmergencySetupRow[]>(
      `INSERT INTO emergency_setups (patient_id, scope, folder_id, public_key, fingerprint, sealed_private_key, key_check, threshold, hours)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (patient_id) DO UPDATE SET scope = excluded.scope, folder_id = excluded.folder_id, public_key = excluded.public_key,
         fingerprint = excluded.fingerprint, sealed_private_key = excluded.sealed_private_key, key_check = excluded.key_check, threshold = excluded.threshold,
         hours = excluded.hours, generation = emergency_setups.generation + 1, updated_at = now()
       RETURNING *`,
      [setup.patient_id, setup.scope, setup.folder_id, setup.public_key, setup.fingerprint, setup.sealed_private_key, setup.key_check, setup.threshold, setup.hours],
    );
    await manager.query('DELETE FROM emergency_holders WHERE patient_id = $1', [setup.patient_id]);
    await manager.query('DELETE FROM emergency_wraps WHERE patient_id = $1', [setup.patient_id]);
    for (const holder of holders) {
      await manager.query('INSERT INTO emergency_holders (patient_id, holder_id, fingerprint, share) VALUES ($1, $2, $3, $4)', [holder.patient_id, holder.holder_id, holder.fingerprint, holder.share]);
    }
    if (wraps.length) {
      await manager.query(
        'INSERT INTO emergency_wraps (record_id, patient_id, wrap) SELECT w.record_id, $1, w.wrap FROM unnest($2::uuid[], $3::text[]) AS w (record_id, wrap)',
        [setup.patient_id, wraps.map((wrap) => wrap.recordId), wraps.map((wrap) => wrap.wrap)],
      );
    }
    return row;
  }

  async holdersOf(patientId: string): Promise<EmergencyHolderRow[]> {
    return await this.db.manager().query<EmergencyHolderRow[]>('SELECT * FROM emergency_holders WHERE patient_id = $1 ORDER BY holder_id', [patientId]);
  }

  /** The caller's own shares (RLS: a holder sees the rows naming them). */
  async sharesHeldBy(holderId: string): Promise<EmergencyHolderRow[]> {
    return await this.db.manager().query<EmergencyHolderRow[]>('SELECT * FROM emergency_holders WHERE holder_id = $1', [holderId]);
  }

  /** The patient's records a setup of this scope covers (not in the trash). */
  async recordIdsInScope(patientId: string, scope: EmergencyScope, folderId: string | null): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ id: string }>>(
      `SELECT id FROM records WHERE owner_id = $1 AND trashed_at IS NULL AND ($2 = 'all' OR folder_id = $3)`,
      [patientId, scope, folderId],
    );
    return rows.map((row) => row.id);
  }

  /** Records the emergency key can open: their ids (for a new upload's check, and the re-key). */
  async wrappedRecordIds(patientId: string): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ record_id: string }>>('SELECT record_id FROM emergency_wraps WHERE patient_id = $1', [patientId]);
    return rows.map((row) => row.record_id);
  }

  async candidate(email: string): Promise<HolderCandidateRow[]> {
    return await this.db.manager().query<HolderCandidateRow[]>('SELECT * FROM emergency_holder_candidate($1)', [email]);
  }

  /** Of these ids, those that may hold a share: another patient or an approved clinician, as the look-up finds. */
  async holdersAllowed(ids: string[]): Promise<Set<string>> {
    const rows = await this.db.manager().query<Array<{ id: string }>>('SELECT id FROM emergency_holders_allowed($1::uuid[])', [ids]);
    return new Set(rows.map((row) => row.id));
  }
}
