/**
 * Records and consents for the seed, as the API's commit and grant leave them
 * (RecordsService.commit, ConsentsService): a committed record has no upload
 * row left, one owner wrap (sealed, key generation 1) and one wrap per doctor
 * whose consent in force covers it (DOCTOR_WRAP_BYTES, stamped with the
 * doctor's key fingerprint). The stored objects are not written: the seed
 * fills the database; reads that fetch bytes need an upload of their own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { DOCTOR_WRAP_BYTES, RECORD_CHUNK_BYTES } from '@phr/shared-types';
import { sealedBlob, type SeededAccount } from './accounts.js';

export interface SeededRecords {
  /** Record ids by owner. */
  recordIds: Map<string, string[]>;
  /** Consents in force by patient: id and doctor. */
  consents: Map<string, Array<{ consentId: string; doctorId: string }>>;
}

export interface RecordsPlan {
  recordsPerPatient: number;
  consentsPerPatient: number;
  createdAt: Date;
}

const BATCH_ROWS = 5_000;

/** Rows in batches of unnest arrays: one statement per few thousand rows. */
async function insertInBatches<T>(rows: readonly T[], insert: (batch: readonly T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += BATCH_ROWS) await insert(rows.slice(start, start + BATCH_ROWS));
}

export async function insertRecordsAndConsents(client: pg.ClientBase, patients: readonly SeededAccount[], doctors: readonly SeededAccount[], plan: RecordsPlan): Promise<SeededRecords> {
  const recordIds = new Map<string, string[]>();
  const consents = new Map<string, Array<{ consentId: string; doctorId: string }>>();
  const folders: Array<{ id: string; ownerId: string }> = [];
  const records: Array<{ id: string; ownerId: string; folderId: string | null; size: number }> = [];
  const grants: Array<{ id: string; patientId: string; doctorId: string; doctorFingerprint: string }> = [];
  for (const [index, patient] of patients.entries()) {
    const own = Array.from({ length: 2 }, () => ({ id: randomUUID(), ownerId: patient.userId }));
    folders.push(...own);
    const ids: string[] = [];
    for (let n = 0; n < plan.recordsPerPatient; n++) {
      const id = randomUUID();
      ids.push(id);
      records.push({ id, ownerId: patient.userId, folderId: n % 3 === 2 ? null : own[n % 3].id, size: 20_000 + ((n * 7919) % 4_000_000) });
    }
    recordIds.set(patient.userId, ids);
    const granted: Array<{ consentId: string; doctorId: string }> = [];
    for (let n = 0; n < Math.min(plan.consentsPerPatient, doctors.length); n++) {
      const doctor = doctors[(index + n) % doctors.length];
      const consentId = randomUUID();
      granted.push({ consentId, doctorId: doctor.userId });
      grants.push({ id: consentId, patientId: patient.userId, doctorId: doctor.userId, doctorFingerprint: doctor.fingerprint });
    }
    consents.set(patient.userId, granted);
  }
  const createdAt = plan.createdAt;
  await insertInBatches(folders, (batch) =>
    client.query(`INSERT INTO folders (id, owner_id, name, created_at) SELECT f.id, f.owner_id, $3, $4 FROM unnest($1::uuid[], $2::uuid[]) AS f (id, owner_id)`, [
      batch.map((f) => f.id),
      batch.map((f) => f.ownerId),
      sealedBlob(24),
      createdAt,
    ]),
  );
  await insertInBatches(records, async (batch) => {
    await client.query(
      `INSERT INTO records (id, owner_id, folder_id, size, chunk_bytes, metadata, created_at)
       SELECT r.id, r.owner_id, r.folder_id, r.size, $5, r.metadata, $6::timestamptz + make_interval(secs => r.n)
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $7::text[]) WITH ORDINALITY AS r (id, owner_id, folder_id, size, metadata, n)`,
      [batch.map((r) => r.id), batch.map((r) => r.ownerId), batch.map((r) => r.folderId), batch.map((r) => r.size), RECORD_CHUNK_BYTES, createdAt, batch.map(() => sealedBlob(180))],
    );
    await client.query(
      `INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_generation, created_at)
       SELECT w.record_id, w.owner_id, w.owner_id, w.wrap, 1, $4 FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS w (record_id, owner_id, wrap)`,
      [batch.map((r) => r.id), batch.map((r) => r.ownerId), batch.map(() => sealedBlob(32)), createdAt],
    );
  });
  // Consents over everything the patient has: each doctor gets a wrap of every record, as the grant sends them.
  await insertInBatches(grants, (batch) =>
    client.query(
      `INSERT INTO consents (id, patient_id, doctor_id, scope, purpose, status, created_at)
       SELECT c.id, c.patient_id, c.doctor_id, 'all', 'Ongoing care', 'active', $4 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS c (id, patient_id, doctor_id)`,
      [batch.map((c) => c.id), batch.map((c) => c.patientId), batch.map((c) => c.doctorId), createdAt],
    ),
  );
  const doctorWraps = grants.flatMap((grant) => (recordIds.get(grant.patientId) ?? []).map((recordId) => ({ recordId, ...grant })));
  await insertInBatches(doctorWraps, (batch) =>
    client.query(
      `INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_fingerprint, created_at)
       SELECT * , $6 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[])`,
      [
        batch.map((w) => w.recordId),
        batch.map((w) => w.doctorId),
        batch.map((w) => w.patientId),
        batch.map(() => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url')),
        batch.map((w) => w.doctorFingerprint),
        createdAt,
      ],
    ),
  );
  return { recordIds, consents };
}
