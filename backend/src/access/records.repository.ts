import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { ERROR_CODES } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';
import { prepared } from '../db/prepared-statements.js';
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
  /** When the owner moved it to the trash; null while in use. */
  trashedAt: Date | null;
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
  /** The owner's listing: their trash instead of the records in use. */
  isTrash?: boolean;
  /** Only these records (a look-up by id: listWrappedByIds). */
  ids?: string[];
  before?: { createdAt: string; id: string };
}

/** A record in the trash past its retention, for the sweep (trashed_records_due()). */
export interface DueTrashedRecord extends StoredRecordLayout {
  ownerId: string;
}

/** A wrap of alias `w` that opens with its recipient's current key: the owner's (no key named), or a doctor's for the doctor's current key. */
const CURRENT_KEY_WRAP = '(w.key_fingerprint IS NULL OR w.key_fingerprint = (SELECT k.fingerprint FROM public_keys k WHERE k.user_id = w.recipient_id))';

/**
 * The records of consent `c`'s scope, read through the index of that scope: the owner's
 * records, one folder's, or the one record. consent_scope_includes() stays the rule; this only
 * keeps a folder's grant from reading every record of the patient.
 */
const SCOPE_RECORDS = `(
  SELECT r.id, r.folder_id FROM records r WHERE c.scope = 'all' AND r.owner_id = c.patient_id
  UNION ALL SELECT r.id, r.folder_id FROM records r WHERE c.scope = 'folder' AND r.folder_id = c.folder_id AND r.owner_id = c.patient_id
  UNION ALL SELECT r.id, r.folder_id FROM records r WHERE c.scope = 'record' AND r.id = c.record_id AND r.owner_id = c.patient_id)`;

/** A reader's record with their wrap and the consent that covers it (a named prepared statement: the hot read path). */
const FIND_READABLE_SQL = prepared(
  `SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, r.trashed_at, w.wrap, w.key_fingerprint,
         CASE WHEN r.owner_id = $2 THEN NULL ELSE covering_consent($2, r.owner_id, r.id, r.folder_id) END AS consent_id,
         (w.key_fingerprint IS NULL OR w.key_fingerprint = (SELECT k.fingerprint FROM public_keys k WHERE k.user_id = $2)) AS is_wrap_current
       FROM records r JOIN record_wraps w ON w.record_id = r.id AND w.recipient_id = $2
       WHERE r.id = $1`,
);

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
    const [row] = await this.db.manager().query<RecordSqlRow[]>('SELECT id, owner_id, folder_id, size, chunk_bytes, metadata, created_at, trashed_at FROM records WHERE id = $1', [recordId]);
    return row ? toRecordRow(row) : null;
  }

  /**
   * A read's whole decision in one statement (issue 14): the record as the caller's RLS context
   * sees it, the caller's wrap of it, the narrowest consent in force it is read under (a
   * doctor's read of another's record: covering_consent()), and whether the wrap opens with the
   * caller's current key. Null when the caller sees no such record or holds no wrap of it.
   */
  async findReadable(recordId: string, readerId: string): Promise<ReadableRecordRow | null> {
    const [row] = await this.db.manager().query<Array<RecordSqlRow & { wrap: string; key_fingerprint: string | null; consent_id: string | null; is_wrap_current: boolean }>>(
      FIND_READABLE_SQL,
      [recordId, readerId],
    );
    if (!row) return null;
    return {
      record: toRecordRow(row),
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

  /** Whether the folder holds records in use (records in the trash do not keep a folder). */
  async hasRecordsIn(folderId: string): Promise<boolean> {
    return await this.records().existsBy({ folderId, trashedAt: IsNull() });
  }

  /** A folder about to be deleted lets go of the records in its trash: restored, they come back outside any folder. */
  async releaseTrashedFrom(folderId: string): Promise<void> {
    await this.db.manager().query('UPDATE records SET folder_id = NULL WHERE folder_id = $1 AND trashed_at IS NOT NULL', [folderId]);
  }

  /** Moves the record to the trash (a time) or back out of it (null). */
  async setTrashedAt(recordId: string, trashedAt: Date | null): Promise<void> {
    await this.records().update({ id: recordId }, { trashedAt });
  }

  async updateMetadata(recordId: string, metadata: string): Promise<void> {
    await this.records().update({ id: recordId }, { metadata });
  }

  async setFolder(recordId: string, folderId: string | null): Promise<void> {
    await this.records().update({ id: recordId }, { folderId });
  }

  /** The doctors (not the owner) who hold a wrap of the record, whatever key it was made for. */
  async doctorWrapHolders(recordId: string): Promise<Set<string>> {
    const rows = await this.db.manager().query<Array<{ recipient_id: string }>>(
      'SELECT w.recipient_id FROM record_wraps w WHERE w.record_id = $1 AND w.recipient_id <> w.owner_id',
      [recordId],
    );
    return new Set(rows.map((row) => row.recipient_id));
  }

  /**
   * The doctors holding a wrap of the record that no consent in force would cover were the
   * record in `folderId` (null: in no folder): those a move there takes access from. Run as the
   * patient, who sees every consent they granted.
   */
  async uncoveredWrapHolders(recordId: string, folderId: string | null): Promise<Array<{ id: string; displayName: string }>> {
    const rows = await this.db.manager().query<Array<{ recipient_id: string; display_name: string | null }>>(
      `SELECT w.recipient_id, n.display_name FROM record_wraps w
       JOIN records r ON r.id = w.record_id
       LEFT JOIN LATERAL consent_party_names(ARRAY[w.recipient_id]) n ON true
       WHERE w.record_id = $1 AND w.recipient_id <> r.owner_id
         AND NOT EXISTS (
           SELECT 1 FROM consents o
           WHERE o.doctor_id = w.recipient_id AND o.patient_id = r.owner_id AND consent_in_force(o) AND consent_scope_includes(o, r.id, $2::uuid))
       ORDER BY w.recipient_id`,
      [recordId, folderId],
    );
    return rows.map((row) => ({ id: row.recipient_id, displayName: row.display_name ?? '' }));
  }

  /** Deletes the doctors' wraps of the record that no consent in force covers where it now is; returns whose went. */
  async removeUncoveredRecordWraps(recordId: string): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ recipient_id: string }>>(
      `WITH gone AS (
         DELETE FROM record_wraps w USING records r
         WHERE w.record_id = $1 AND r.id = w.record_id AND w.recipient_id <> r.owner_id
           AND NOT EXISTS (
             SELECT 1 FROM consents o
             WHERE o.doctor_id = w.recipient_id AND o.patient_id = r.owner_id AND consent_in_force(o) AND consent_scope_includes(o, r.id, r.folder_id))
         RETURNING w.recipient_id)
       SELECT recipient_id FROM gone`,
      [recordId],
    );
    return rows.map((row) => row.recipient_id).sort();
  }

  /** Records in the trash since before `before`, oldest first, across patients (the sweep: trashed_records_due()). */
  async trashedDue(before: Date, limit: number): Promise<DueTrashedRecord[]> {
    const rows = await this.db.manager().query<Array<{ record_id: string; owner_id: string; size: string; chunk_bytes: number }>>(
      'SELECT record_id, owner_id, size, chunk_bytes FROM trashed_records_due($1, $2)',
      [before, limit],
    );
    return rows.map((row) => ({ recordId: row.record_id, ownerId: row.owner_id, size: Number(row.size), chunkBytes: row.chunk_bytes }));
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

  /**
   * The caller's own records that hold their wrap, newest first (one more than `limit`, to know
   * whether a page follows). The explicit owner condition lets the statement walk
   * records_owner_listing (or records_folder_listing) in order and stop after the page; RLS
   * still admits only the owner's rows (records_owner).
   */
  async listOwnWrapped(filter: RecordListFilter): Promise<WrappedRecordRow[]> {
    const params: unknown[] = [filter.recipientId];
    const where = ['r.owner_id = $1', filter.isTrash ? 'r.trashed_at IS NOT NULL' : 'r.trashed_at IS NULL', ...listConditions(filter, params)];
    const rows = await this.db.manager().query<WrappedSqlRow[]>(`${pageOf(where.join(' AND '))} LIMIT ${filter.limit + 1}`, params);
    return rows.map(toWrappedRow);
  }

  /**
   * Records shared with the caller (a doctor) that hold a wrap for their current key, newest
   * first (one more than `limit`). Driven by the caller's consents in force: for each, one page
   * of its scope in listing order (the owner's records, a folder's, or the one record), so the
   * cost is the page times the consents, never every record shared. RLS
   * (records_consented_doctor) still decides each row; the scope here only chooses the index.
   * One patient's page (`ownerId`) names the patient in each scope too, which the consent
   * already implies: it gives the planner that patient's own number of records (pageOf).
   */
  async listSharedWrapped(filter: RecordListFilter): Promise<WrappedRecordRow[]> {
    const params: unknown[] = [filter.recipientId];
    const conditions = listConditions(filter, params);
    const consents = ['c.doctor_id = $1', 'consent_in_force(c)'];
    if (filter.ownerId) consents.push(`c.patient_id = $${params.push(filter.ownerId)}`);
    const scope = (condition: string) => `(${pageOf([condition, ...conditions].join(' AND '))} LIMIT ${filter.limit + 1})`;
    const rows = await this.db.manager().query<WrappedSqlRow[]>(
      `SELECT DISTINCT ON (p.created_at, p.id) p.* FROM consents c
       CROSS JOIN LATERAL (
         ${scope(`c.scope = 'all' AND r.owner_id = c.patient_id`)}
         UNION ALL ${scope(`c.scope = 'folder' AND r.folder_id = c.folder_id AND r.owner_id = c.patient_id`)}
         UNION ALL ${scope(`c.scope = 'record' AND r.id = c.record_id AND r.owner_id = c.patient_id`)}
       ) p
       WHERE ${consents.join(' AND ')}
       ORDER BY p.created_at DESC, p.id DESC LIMIT ${filter.limit + 1}`,
      params,
    );
    return rows.map(toWrappedRow);
  }

  /**
   * The records among `filter.ids` the caller can list, with their wrap, newest first: a look-up
   * by id (the portal's titles of the records on a page), read through the primary key, so it
   * costs the ids asked for whatever the caller holds. RLS decides each row as for the listings
   * (a patient's own records; a doctor's covered by a consent in force, none in the trash), and
   * a patient's look-up names the owner as their listing does.
   */
  async listWrappedByIds(filter: RecordListFilter & { ids: string[] }, isOwner: boolean): Promise<WrappedRecordRow[]> {
    const params: unknown[] = [filter.recipientId, filter.ids];
    const where = ['r.id = ANY($2::uuid[])', filter.isTrash ? 'r.trashed_at IS NOT NULL' : 'r.trashed_at IS NULL', ...listConditions(filter, params)];
    if (isOwner) where.push('r.owner_id = $1');
    const rows = await this.db.manager().query<WrappedSqlRow[]>(`${pageOf(where.join(' AND '))} LIMIT ${filter.limit + 1}`, params);
    return rows.map(toWrappedRow);
  }

  async delete(recordId: string): Promise<void> {
    await this.records().delete({ id: recordId });
  }

  /** The patient's records a consent's scope takes in (consent_scope_includes()), of `among` when given. */
  async idsInConsentScope(consentId: string, among?: readonly string[]): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ id: string }>>(
      `SELECT r.id FROM consents c CROSS JOIN LATERAL ${SCOPE_RECORDS} r
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

  /**
   * Deletes the consent's doctor's wraps of records in its scope that no consent in force covers
   * any more, in one set-based statement: an anti-join against the patient's other consents for
   * that doctor (consent_in_force, consent_scope_includes), no function call per record. Run as
   * the patient, who sees every consent they granted.
   */
  async removeUncoveredWraps(consentId: string): Promise<void> {
    await this.db.manager().query(
      `DELETE FROM record_wraps w USING consents c, records r
       WHERE c.id = $1 AND w.record_id = r.id AND w.recipient_id = c.doctor_id AND w.owner_id = c.patient_id AND r.owner_id = c.patient_id
         AND consent_scope_includes(c, r.id, r.folder_id)
         AND NOT EXISTS (
           SELECT 1 FROM consents o
           WHERE o.doctor_id = c.doctor_id AND o.patient_id = c.patient_id AND consent_in_force(o) AND consent_scope_includes(o, r.id, r.folder_id))`,
      [consentId],
    );
  }

  /** The consent's doctor's wraps of records in its scope made for a key the doctor no longer has (docs/protocol.md "Key-pair rotation"). */
  async staleWrapCount(consentId: string): Promise<number> {
    return (await this.staleWrapCounts([consentId])).get(consentId) ?? 0;
  }

  /**
   * staleWrapCount of each of these consents in one statement: a consent with none is absent from the map.
   * Read from the stale wraps alone: the doctor's wraps of the patient whose fingerprint sorts before or after the doctor's current
   * one are two range scans of record_wraps_recipient_owner_key, so a page costs the stale wraps, not the patients' records.
   * A doctor with no key now (erased) has every wrap stale: '' sorts before every fingerprint.
   */
  async staleWrapCounts(consentIds: readonly string[]): Promise<Map<string, number>> {
    if (consentIds.length === 0) return new Map();
    const rows = await this.db.manager().query<Array<{ id: string; stale: number }>>(
      `SELECT c.id, count(*)::int AS stale FROM consents c
       CROSS JOIN LATERAL (SELECT coalesce((SELECT k.fingerprint FROM public_keys k WHERE k.user_id = c.doctor_id), '') AS fingerprint) now_key
       CROSS JOIN LATERAL (
         SELECT w.record_id FROM record_wraps w WHERE w.recipient_id = c.doctor_id AND w.owner_id = c.patient_id AND w.key_fingerprint < now_key.fingerprint
         UNION ALL
         SELECT w.record_id FROM record_wraps w WHERE w.recipient_id = c.doctor_id AND w.owner_id = c.patient_id AND w.key_fingerprint > now_key.fingerprint
       ) stale
       JOIN records r ON r.id = stale.record_id AND r.owner_id = c.patient_id AND consent_scope_includes(c, r.id, r.folder_id)
       WHERE c.id = ANY ($1::uuid[])
       GROUP BY c.id`,
      [consentIds],
    );
    return new Map(rows.map((row) => [row.id, row.stale]));
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

/** A row of `records` as PostgreSQL returns it. */
interface RecordSqlRow {
  id: string;
  owner_id: string;
  folder_id: string | null;
  size: string;
  chunk_bytes: number;
  metadata: string;
  created_at: Date;
  trashed_at: Date | null;
}

type WrappedSqlRow = RecordSqlRow & { wrap: string };

/** The listing's filters after the caller's id ($1); their values are appended to `params`. */
function listConditions(filter: RecordListFilter, params: unknown[]): string[] {
  const conditions: string[] = [];
  const bind = (value: unknown) => `$${params.push(value)}`;
  if (filter.ownerId) conditions.push(`r.owner_id = ${bind(filter.ownerId)}`);
  if (filter.folderId) conditions.push(`r.folder_id = ${bind(filter.folderId)}`);
  if (filter.before) conditions.push(`(r.created_at, r.id) < (${bind(filter.before.createdAt)}::timestamptz, ${bind(filter.before.id)}::uuid)`);
  return conditions;
}

/**
 * Records matching `where` in listing order with the caller's ($1) wrap that opens with their
 * current key, rows without one left out. The wrap is a scalar subquery, not a join: joined,
 * the planner multiplied the selectivities of both tables' RLS policies, expected a handful of
 * rows, and sorted every matching record instead of walking the listing index for one page.
 * OFFSET 0 keeps the ordered rows a subquery of their own: pulled up, the wrap's subquery ran
 * twice per row, once for the filter on it and once for the column (issue 14: a patient's page
 * ran in half the time, and planned in less).
 *
 * Each listing is planned for its own values (an unnamed statement, not prepared-statements.ts):
 * the owner's number of records decides between walking the listing index and sorting a few
 * rows. A generic plan cached per connection was tried (issue 14): made for a patient of ten
 * records, it sorted all of a patient of 10,000's records and took over 100 ms a page.
 */
function pageOf(where: string): string {
  return `SELECT * FROM (
    SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, r.trashed_at,
      (SELECT w.wrap FROM record_wraps w WHERE w.record_id = r.id AND w.recipient_id = $1 AND ${CURRENT_KEY_WRAP}) AS wrap
    FROM records r WHERE ${where}
    ORDER BY r.created_at DESC, r.id DESC OFFSET 0
  ) listed WHERE listed.wrap IS NOT NULL`;
}

function toRecordRow(row: RecordSqlRow): RecordRow {
  return { id: row.id, ownerId: row.owner_id, folderId: row.folder_id, size: Number(row.size), chunkBytes: row.chunk_bytes, metadata: row.metadata, createdAt: row.created_at, trashedAt: row.trashed_at };
}

function toWrappedRow(row: WrappedSqlRow): WrappedRecordRow {
  return { ...toRecordRow(row), wrap: row.wrap };
}
