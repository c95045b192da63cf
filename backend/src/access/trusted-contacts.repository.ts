import { Injectable } from '@nestjs/common';
import type { DoctorWrap, TrustedContactScope } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import type { WrappedRecordRow } from './records.repository.js';

/** A trusted contact as `trusted_contacts` holds it, with the release rule's answer (contact_released()). */
export interface TrustedContactRow {
  id: string;
  patientId: string;
  contactId: string;
  scope: TrustedContactScope;
  folderId: string | null;
  waitDays: number;
  keyFingerprint: string;
  requestedAt: Date | null;
  refusedAt: Date | null;
  releasedAt: Date | null;
  createdAt: Date;
  /** When the wait since the request ends (contact_release_time()); null with no request under way. */
  releasesAt: Date | null;
  isReleased: boolean;
}

export type NewTrustedContact = Omit<TrustedContactRow, 'requestedAt' | 'refusedAt' | 'releasedAt' | 'releasesAt' | 'isReleased'>;

/** A patient account a patient may name, with its key (contact_candidate()). */
export interface ContactCandidateRow {
  id: string;
  displayName: string;
  publicKey: string;
  fingerprint: string;
}

/** The other party of one of the caller's trusted contacts: name and current key fingerprint (contact_party_names()). */
export interface ContactPartyRow {
  displayName: string;
  fingerprint: string | null;
}

/** A contact a new record must be wrapped for, with their current key. */
export interface CoveringContactRow {
  trustedContactId: string;
  contactId: string;
  displayName: string;
  publicKey: string | null;
}

interface TrustedContactSqlRow {
  id: string;
  patient_id: string;
  contact_id: string;
  scope: TrustedContactScope;
  folder_id: string | null;
  wait_days: number;
  key_fingerprint: string;
  requested_at: Date | null;
  refused_at: Date | null;
  released_at: Date | null;
  created_at: Date;
  releases_at: Date | null;
  is_released: boolean;
}

const COLUMNS = `c.id, c.patient_id, c.contact_id, c.scope, c.folder_id, c.wait_days, c.key_fingerprint, c.requested_at, c.refused_at, c.released_at, c.created_at,
  contact_release_time(c.requested_at, c.wait_days) AS releases_at, contact_released(c) AS is_released`;

/**
 * The SQL of `trusted_contacts` and `contact_wraps` (migration 1765900000000, docs/protocol.md
 * "Trusted contacts"). RLS shows a trusted contact to both parties, lets only the patient change
 * it, and shows the contact's wraps to the contact only while contact_released() holds: the
 * release rule is that one SQL function, never re-derived here.
 */
@Injectable()
export class TrustedContactsRepository {
  constructor(private readonly db: Db) {}

  /**
   * The accounts a patient named as trusted contacts, for the break-glass feature, whose actor is a
   * clinician, to tell them: patient_trusted_contact_ids() is a definer function that answers the
   * patient and a clinician who has broken the glass on them, and nobody else.
   */
  async activeContactIds(patientId: string): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ contact_id: string }>>('SELECT contact_id FROM patient_trusted_contact_ids($1)', [patientId]);
    return rows.map((row) => row.contact_id);
  }

  /** The caller's trusted contacts, as patient and as contact, newest first. */
  async listFor(userId: string): Promise<TrustedContactRow[]> {
    const rows = await this.db
      .manager()
      .query<TrustedContactSqlRow[]>(`SELECT ${COLUMNS} FROM trusted_contacts c WHERE c.patient_id = $1 OR c.contact_id = $1 ORDER BY c.created_at DESC, c.id DESC`, [userId]);
    return rows.map(toRow);
  }

  /** A trusted contact the caller is a party to (RLS), or null. */
  async find(id: string): Promise<TrustedContactRow | null> {
    const [row] = await this.db.manager().query<TrustedContactSqlRow[]>(`SELECT ${COLUMNS} FROM trusted_contacts c WHERE c.id = $1`, [id]);
    return row ? toRow(row) : null;
  }

  async insert(contact: NewTrustedContact): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO trusted_contacts (id, patient_id, contact_id, scope, folder_id, wait_days, key_fingerprint, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [contact.id, contact.patientId, contact.contactId, contact.scope, contact.folderId, contact.waitDays, contact.keyFingerprint, contact.createdAt],
    );
  }

  /** Whether the patient already named this account. */
  async exists(patientId: string, contactId: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ found: boolean }>>('SELECT EXISTS (SELECT 1 FROM trusted_contacts WHERE patient_id = $1 AND contact_id = $2) AS found', [patientId, contactId]);
    return row?.found ?? false;
  }

  /** A new wait; a release it ends (the new wait has not passed) is no longer marked, so the next one is filed again. */
  async setWait(id: string, waitDays: number): Promise<void> {
    await this.db.manager().query(
      `UPDATE trusted_contacts SET wait_days = $2,
         released_at = CASE WHEN requested_at IS NOT NULL AND contact_release_time(requested_at, $2) > now() THEN NULL ELSE released_at END
       WHERE id = $1`,
      [id, waitDays],
    );
  }

  /** The patient's refusal: the request under way ends, and a release already taken ends with it. */
  async refuse(id: string, refusedAt: Date): Promise<void> {
    await this.db.manager().query('UPDATE trusted_contacts SET requested_at = NULL, released_at = NULL, refused_at = $2 WHERE id = $1', [id, refusedAt]);
  }

  /** The contact's request (contact_request_access(): sets the request time, if none is under way, and nothing else). */
  async request(id: string): Promise<Date | null> {
    const [row] = await this.db.manager().query<Array<{ contact_request_access: Date | null }>>('SELECT contact_request_access($1)', [id]);
    return row?.contact_request_access ?? null;
  }

  /** Marks the first hand-out of a release (contact_mark_released()); true when this call was the first. */
  async markReleased(id: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ first: boolean }>>('SELECT contact_mark_released($1) AS first', [id]);
    return row?.first ?? false;
  }

  /** The trusted contacts whose scope is this folder (the caller's, under RLS): the folder's deletion removes them. */
  async ofFolder(folderId: string): Promise<Array<{ id: string; contactId: string }>> {
    const rows = await this.db.manager().query<Array<{ id: string; contact_id: string }>>('SELECT id, contact_id FROM trusted_contacts WHERE folder_id = $1 ORDER BY id', [folderId]);
    return rows.map((row) => ({ id: row.id, contactId: row.contact_id }));
  }

  /** Deletes the trusted contact; its wraps go with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<void> {
    await this.db.manager().query('DELETE FROM trusted_contacts WHERE id = $1', [id]);
  }

  /** The patient's records a trusted contact's scope takes in: everything, or one folder; never the trash (what the portal lists). */
  async idsInScope(patientId: string, scope: TrustedContactScope, folderId: string | null): Promise<string[]> {
    const rows = await this.db
      .manager()
      .query<Array<{ id: string }>>(`SELECT r.id FROM records r WHERE r.owner_id = $1 AND r.trashed_at IS NULL AND ($2 = 'all' OR r.folder_id = $3) ORDER BY r.id`, [
        patientId,
        scope,
        folderId,
      ]);
    return rows.map((row) => row.id);
  }

  /** Replaces every wrap of a trusted contact (at naming, and when the patient re-makes them) and stamps the key they were made for. */
  async replaceWraps(contact: Pick<TrustedContactRow, 'id' | 'patientId' | 'contactId'>, wraps: readonly DoctorWrap[], fingerprint: string): Promise<void> {
    await this.db.manager().query('DELETE FROM contact_wraps WHERE trusted_contact_id = $1', [contact.id]);
    await this.insertWraps(contact, wraps);
    await this.db.manager().query('UPDATE trusted_contacts SET key_fingerprint = $2 WHERE id = $1', [contact.id, fingerprint]);
  }

  /** Adds wraps of new records (a commit into the contact's scope). */
  async insertWraps(contact: Pick<TrustedContactRow, 'id' | 'patientId' | 'contactId'>, wraps: readonly DoctorWrap[]): Promise<void> {
    if (wraps.length === 0) return;
    await this.db.manager().query(
      `INSERT INTO contact_wraps (trusted_contact_id, record_id, patient_id, contact_id, wrap)
       SELECT $1, w.record_id, $2, $3, w.wrap FROM unnest($4::uuid[], $5::text[]) AS w (record_id, wrap)`,
      [contact.id, contact.patientId, contact.contactId, wraps.map((wrap) => wrap.recordId), wraps.map((wrap) => wrap.wrap)],
    );
  }

  /** Wraps a trusted contact holds (the patient's view; the contact's only once released). */
  async wrapCount(id: string): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: number }>>('SELECT count(*)::int AS count FROM contact_wraps WHERE trusted_contact_id = $1', [id]);
    return row?.count ?? 0;
  }

  /** The released records of a trusted contact, with the contact's wraps (contact_released_records(): nothing before the release). */
  async releasedRecords(id: string, recordId: string | null): Promise<WrappedRecordRow[]> {
    const rows = await this.db
      .manager()
      .query<Array<{ id: string; owner_id: string; folder_id: string | null; size: string; chunk_bytes: number; metadata: string; created_at: Date; trashed_at: Date | null; wrap: string }>>(
        'SELECT * FROM contact_released_records($1, $2)',
        [id, recordId],
      );
    return rows.map((row) => ({
      id: row.id,
      ownerId: row.owner_id,
      folderId: row.folder_id,
      size: Number(row.size),
      chunkBytes: row.chunk_bytes,
      metadata: row.metadata,
      createdAt: row.created_at,
      trashedAt: row.trashed_at,
      wrap: row.wrap,
    }));
  }

  /** A patient account the caller (a patient) may name, by its normalised email. */
  async candidate(email: string): Promise<ContactCandidateRow | null> {
    const [row] = await this.db
      .manager()
      .query<Array<{ id: string; display_name: string; public_key: string; fingerprint: string }>>('SELECT * FROM contact_candidate($1)', [email]);
    return row ? { id: row.id, displayName: row.display_name, publicKey: row.public_key, fingerprint: row.fingerprint } : null;
  }

  /** Names and current fingerprints of the other parties of the caller's trusted contacts. */
  async partyNames(): Promise<Map<string, ContactPartyRow>> {
    const rows = await this.db.manager().query<Array<{ id: string; display_name: string; fingerprint: string | null }>>('SELECT id, display_name, fingerprint FROM contact_party_names()');
    return new Map(rows.map((row) => [row.id, { displayName: row.display_name, fingerprint: row.fingerprint }]));
  }

  /** The trusted contacts a new record of this patient in this folder must be wrapped for (covering_contacts()), with their current keys. */
  async coveringContacts(ownerId: string, folderId: string | null): Promise<CoveringContactRow[]> {
    const rows = await this.db.manager().query<Array<{ trusted_contact_id: string; contact_id: string; display_name: string | null; public_key: string | null }>>(
      `SELECT c.trusted_contact_id, c.contact_id, n.display_name, k.public_key FROM covering_contacts($1, $2) c
       LEFT JOIN contact_party_names() n ON n.id = c.contact_id
       LEFT JOIN public_keys k ON k.user_id = c.contact_id ORDER BY c.contact_id`,
      [ownerId, folderId],
    );
    return rows.map((row) => ({ trustedContactId: row.trusted_contact_id, contactId: row.contact_id, displayName: row.display_name ?? '', publicKey: row.public_key }));
  }
}

function toRow(row: TrustedContactSqlRow): TrustedContactRow {
  return {
    id: row.id,
    patientId: row.patient_id,
    contactId: row.contact_id,
    scope: row.scope,
    folderId: row.folder_id,
    waitDays: row.wait_days,
    keyFingerprint: row.key_fingerprint,
    requestedAt: row.requested_at,
    refusedAt: row.refused_at,
    releasedAt: row.released_at,
    createdAt: row.created_at,
    releasesAt: row.releases_at,
    isReleased: row.is_released,
  };
}
