import { Injectable } from '@nestjs/common';
import type { ConsentScope, ConsentStatus, SealedFolderLabel } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

/** A consent as `consents` holds it, with the status it has now (consent_in_force(): an active consent past its expiry is expired). */
export interface ConsentRow {
  id: string;
  patientId: string;
  doctorId: string;
  scope: ConsentScope;
  recordId: string | null;
  folderId: string | null;
  purpose: string | null;
  /** The folder's name sealed for the doctor (docs/protocol.md "Folder labels"), or null. */
  folderLabel: SealedFolderLabel | null;
  expiresAt: Date | null;
  status: ConsentStatus;
  createdAt: Date;
  revokedAt: Date | null;
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

/** A doctor a new upload must be wrapped for, with the name the patient knows them by. */
export interface CoveringDoctorRow {
  doctorId: string;
  displayName: string;
  /** The doctor's current public key; null when the doctor has none. */
  publicKey: string | null;
}

/** The keyset of a page of consents: the last one's creation time and id. */
export interface ConsentKey {
  createdAt: string;
  id: string;
}

export type NewConsent = Omit<ConsentRow, 'status' | 'revokedAt'>;

/** An approved clinician as a patient's search finds them (search_doctors()). */
export interface DoctorSearchRow {
  id: string;
  display_name: string;
  specialty: string | null;
  public_key: string;
  fingerprint: string;
  organisation: string;
  verified_by: string;
  verified_at: Date;
  looks_like_another: boolean;
}

interface ConsentSqlRow {
  id: string;
  patient_id: string;
  doctor_id: string;
  scope: ConsentScope;
  record_id: string | null;
  folder_id: string | null;
  purpose: string | null;
  folder_label_wrap: string | null;
  folder_label_name: string | null;
  expires_at: Date | null;
  status: ConsentStatus;
  in_force: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = `c.id, c.patient_id, c.doctor_id, c.scope, c.record_id, c.folder_id, c.purpose, c.folder_label_wrap, c.folder_label_name, c.expires_at, c.status,
  consent_in_force(c) AS in_force, c.created_at, c.revoked_at`;

/**
 * The SQL of `consents` (RLS: a patient sees the consents they granted, a
 * doctor those naming them). Whether a consent is in force is
 * consent_in_force() (migration consent-rule), never re-derived here.
 */
@Injectable()
export class ConsentsRepository {
  constructor(private readonly db: Db) {}

  /**
   * A page of the caller's consents as patient or doctor, newest first, before the keyset
   * (created_at, id) of the previous page's last one, with the status they have now. Each shape
   * is one range scan of an index that ends in the page order, stopping after `limit` rows
   * (migrations 1765970000000 and 1766020000000): all statuses from (party, created_at, id); one
   * stored status from (party, status, created_at, id). "Active" leaves out the active consents
   * past their expiry that the sweep has not marked yet, and "expired" adds them, from the
   * expiry index of active consents (few: the sweep marks them within minutes).
   */
  async pageNewestFor(column: 'patient_id' | 'doctor_id', userId: string, status: ConsentStatus | null, before: ConsentKey | null, limit: number): Promise<ConsentRow[]> {
    const page = (condition: string) =>
      `SELECT ${COLUMNS} FROM consents c
        WHERE c.${column} = $1 AND ($2::timestamptz IS NULL OR (c.created_at, c.id) < ($2::timestamptz, $3::uuid))${condition}
        ORDER BY c.created_at DESC, c.id DESC LIMIT $4`;
    const parameters: unknown[] = [userId, before?.createdAt ?? null, before?.id ?? null, limit];
    let sql: string;
    if (status === null) sql = page('');
    else if (status === 'expired') {
      sql = `SELECT * FROM ((${page(` AND c.status = 'expired'`)}) UNION ALL (${page(` AND c.status = 'active' AND c.expires_at <= now()`)})) c
        ORDER BY c.created_at DESC, c.id DESC LIMIT $4`;
    } else {
      sql = page(` AND c.status = $5${status === 'active' ? ' AND consent_in_force(c)' : ''}`);
      parameters.push(status);
    }
    const rows = await this.db.manager().query<ConsentSqlRow[]>(sql, parameters);
    return rows.map(toRow);
  }

  /**
   * A page of the caller's consents as patient or doctor, oldest first, after the keyset
   * (created_at, id) of the previous page's last one (the FHIR Consent export).
   */
  async pageFor(column: 'patient_id' | 'doctor_id', userId: string, after: ConsentKey | null, limit: number): Promise<ConsentRow[]> {
    const rows = await this.db.manager().query<ConsentSqlRow[]>(
      `SELECT ${COLUMNS} FROM consents c WHERE c.${column} = $1 AND ($2::timestamptz IS NULL OR (c.created_at, c.id) > ($2::timestamptz, $3::uuid))
        ORDER BY c.created_at, c.id LIMIT $4`,
      [userId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(toRow);
  }

  /** An auditor's page of one patient's consents, as pageFor (audit_consents(), migration 1765920000000: no folder labels; nobody else gets a row). */
  async auditorPage(patientId: string, after: ConsentKey | null, limit: number): Promise<ConsentRow[]> {
    const rows = await this.db
      .manager()
      .query<ConsentSqlRow[]>('SELECT *, NULL AS folder_label_wrap, NULL AS folder_label_name FROM audit_consents($1, $2, $3, $4)', [patientId, after?.createdAt ?? null, after?.id ?? null, limit]);
    return rows.map(toRow);
  }

  /** The patient's consent, or null (another patient's is not visible). */
  async findOfPatient(consentId: string, patientId: string): Promise<ConsentRow | null> {
    const [row] = await this.db.manager().query<ConsentSqlRow[]>(`SELECT ${COLUMNS} FROM consents c WHERE c.id = $1 AND c.patient_id = $2`, [consentId, patientId]);
    return row ? toRow(row) : null;
  }

  /** Consents still marked active that are no longer in force: the sweep's batch (expired_consents()). */
  async expiredBatch(limit: number): Promise<Array<{ id: string; patientId: string }>> {
    const rows = await this.db.manager().query<Array<{ id: string; patient_id: string }>>('SELECT id, patient_id FROM expired_consents($1)', [limit]);
    return rows.map((row) => ({ id: row.id, patientId: row.patient_id }));
  }

  /** A consent still marked active, by id. */
  async findActive(consentId: string): Promise<ConsentRow | null> {
    const [row] = await this.db.manager().query<ConsentSqlRow[]>(`SELECT ${COLUMNS} FROM consents c WHERE c.id = $1 AND c.status = 'active'`, [consentId]);
    return row ? toRow(row) : null;
  }

  async insert(consent: NewConsent): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO consents (id, patient_id, doctor_id, scope, record_id, folder_id, purpose, folder_label_wrap, folder_label_name, expires_at, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11)`,
      [
        consent.id,
        consent.patientId,
        consent.doctorId,
        consent.scope,
        consent.recordId,
        consent.folderId,
        consent.purpose,
        consent.folderLabel?.wrap ?? null,
        consent.folderLabel?.name ?? null,
        consent.expiresAt,
        consent.createdAt,
      ],
    );
  }

  /** Replaces a consent's folder label (the patient's browser sealed it again for the doctor's current key). */
  async setFolderLabel(consentId: string, label: SealedFolderLabel): Promise<void> {
    await this.db.manager().query('UPDATE consents SET folder_label_wrap = $2, folder_label_name = $3 WHERE id = $1', [consentId, label.wrap, label.name]);
  }

  /** The consents still marked active over one record or one folder (the caller's, under RLS): those its deletion ends. */
  async activeIdsOf(scope: { recordId: string } | { folderId: string }): Promise<string[]> {
    const [column, id] = 'recordId' in scope ? ['record_id', scope.recordId] : ['folder_id', scope.folderId];
    const rows = await this.db.manager().query<Array<{ id: string }>>(`SELECT id FROM consents WHERE ${column} = $1 AND status = 'active' ORDER BY id`, [id]);
    return rows.map((row) => row.id);
  }

  async markRevoked(consentId: string, revokedAt: Date): Promise<void> {
    await this.db.manager().query(`UPDATE consents SET status = 'revoked', revoked_at = $2 WHERE id = $1`, [consentId, revokedAt]);
  }

  async markExpired(consentId: string): Promise<void> {
    await this.db.manager().query(`UPDATE consents SET status = 'expired' WHERE id = $1`, [consentId]);
  }

  /** Whether an operator approved this clinician and the approval stands (is_verified_clinician()). */
  async isVerifiedClinician(doctorId: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ verified: boolean }>>('SELECT is_verified_clinician($1) AS verified', [doctorId]);
    return row?.verified ?? false;
  }

  /** Approved clinicians matching a name, email or name skeleton (search_doctors(); the patterns are escaped by the caller). */
  async searchDoctors(pattern: string, skeleton: string, limit: number): Promise<DoctorSearchRow[]> {
    return await this.db.manager().query<DoctorSearchRow[]>('SELECT * FROM search_doctors($1, $2, $3)', [pattern, skeleton, limit]);
  }

  /** The display names of these users that are the other party of one of the caller's consents (consent_party_names(uuid[])). */
  async partyNamesOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.manager().query<Array<{ id: string; display_name: string }>>('SELECT id, display_name FROM consent_party_names($1::uuid[])', [ids]);
    return new Map(rows.map((row) => [row.id, row.display_name]));
  }

  /** The narrowest consent in force that lets this doctor read this record (covering_consent()), or null. */
  async coveringConsent(doctorId: string, record: { id: string; ownerId: string; folderId: string | null }): Promise<string | null> {
    const [row] = await this.db
      .manager()
      .query<Array<{ id: string | null }>>('SELECT covering_consent($1, $2, $3, $4) AS id', [doctorId, record.ownerId, record.id, record.folderId]);
    return row?.id ?? null;
  }

  /** The doctors whose consent in force covers a new record of this patient in this folder (covering_doctors()), with their current public keys, in one statement. */
  async coveringDoctors(ownerId: string, folderId: string | null): Promise<CoveringDoctorRow[]> {
    const rows = await this.db.manager().query<Array<{ doctor_id: string; display_name: string | null; public_key: string | null }>>(
      `SELECT d.doctor_id, n.display_name, k.public_key FROM covering_doctors($1, $2) d
       LEFT JOIN LATERAL consent_party_names(ARRAY[d.doctor_id]) n ON true
       LEFT JOIN public_keys k ON k.user_id = d.doctor_id ORDER BY d.doctor_id`,
      [ownerId, folderId],
    );
    return rows.map((row) => ({ doctorId: row.doctor_id, displayName: row.display_name ?? '', publicKey: row.public_key }));
  }


  /**
   * The caller's (a doctor's) most recently ended consent that covered the record, with the
   * patient's display name, or null: ended_consent_for() looks past RLS at the record's folder,
   * for the caller's own consents only.
   */
  async endedConsentFor(recordId: string): Promise<EndedConsentRow | null> {
    const [row] = await this.db
      .manager()
      .query<Array<{ consent_id: string; patient_id: string; reason: 'revoked' | 'expired'; ended_at: Date | null; display_name: string | null }>>(
        `SELECT e.consent_id, e.patient_id, e.reason, e.ended_at, n.display_name FROM ended_consent_for($1) e
         LEFT JOIN LATERAL consent_party_names(ARRAY[e.patient_id]) n ON true`,
        [recordId],
      );
    if (!row?.ended_at) return null;
    return { consentId: row.consent_id, patientId: row.patient_id, reason: row.reason, endedAt: row.ended_at, patientName: row.display_name ?? '' };
  }

  /** Consents naming the account as patient or as doctor. */
  async partyTo(userId: string): Promise<ErasedConsent[]> {
    const rows = await this.db
      .manager()
      .query<Array<{ id: string; patient_id: string; doctor_id: string; status: ConsentStatus; expires_at: Date | null; in_force: boolean }>>(
        'SELECT c.id, c.patient_id, c.doctor_id, c.status, c.expires_at, consent_in_force(c) AS in_force FROM consents c WHERE c.patient_id = $1 OR c.doctor_id = $1',
        [userId],
      );
    return rows.map((row) => ({ id: row.id, patientId: row.patient_id, doctorId: row.doctor_id, status: row.status, expiresAt: row.expires_at, inForce: row.in_force }));
  }
}

function toRow(row: ConsentSqlRow): ConsentRow {
  return {
    id: row.id,
    patientId: row.patient_id,
    doctorId: row.doctor_id,
    scope: row.scope,
    recordId: row.record_id,
    folderId: row.folder_id,
    purpose: row.purpose,
    folderLabel: row.folder_label_wrap !== null && row.folder_label_name !== null ? { wrap: row.folder_label_wrap, name: row.folder_label_name } : null,
    expiresAt: row.expires_at,
    status: row.status === 'active' && !row.in_force ? 'expired' : row.status,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** A doctor's consent that covered a record and ended (ConsentsRepository.endedConsentFor). */
export interface EndedConsentRow {
  consentId: string;
  patientId: string;
  reason: 'revoked' | 'expired';
  endedAt: Date;
  patientName: string;
}
