import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ROUTES, type ConsentPage, type RecordPage } from '@phr/shared-types';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import type { RouteResult } from './support/http.js';
import { sentStatements } from './support/sql-statements.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const SMALL = 10;
const LARGE = 400;
const PAGE = 5;

interface Replayed {
  /** Calls of each user-defined function while the statements ran (pg_stat_xact_user_functions). */
  calls: Map<string, number>;
  /** The most rows any one scan of `records` returned (EXPLAIN ANALYZE). */
  recordsRead: number;
  /** How many times the statements looked up a wrap (the loops of every scan of `record_wraps`). */
  wrapLookups: number;
  /** The rows every scan of `record_wraps` returned, over all its loops, added up. */
  wrapRowsRead: number;
  /** How many times the statements scanned `records` (the loops of every scan of it). */
  recordScans: number;
  /** The rows every scan of `consents` read, returned or filtered out, over all its loops, added up. */
  consentsExamined: number;
}

/**
 * Issue 14: a listing reads one page and a revocation the rows it deletes,
 * with no function call per record (consent_covers() once per row made a
 * doctor's list 22x slower from 10 to 10k records). The statements the API
 * sends are caught and run again as the same caller in a transaction rolled
 * back, counting user-function calls (track_functions) and the rows each scan
 * of `records` returned, for a patient with few records and one with many.
 */
describe('listings and revocations cost the page or the rows touched, with no function call per record (issue 14)', () => {
  let api: TestApp;
  let doctor: RegisteredUser;
  let small: RegisteredUser;
  let large: RegisteredUser;
  let smallToRevoke: RegisteredUser;
  let largeToRevoke: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    doctor = await registerUser(api, 'doctor');
    small = await registerUser(api);
    large = await registerUser(api);
    smallToRevoke = await registerUser(api);
    largeToRevoke = await registerUser(api);
    const someoneElse = await registerUser(api);
    await addRecords(someoneElse, LARGE);
    await addRecords(small, SMALL);
    await addRecords(large, LARGE);
    await addRecords(smallToRevoke, SMALL);
    await addRecords(largeToRevoke, LARGE);
    await api.adminQuery('ANALYZE records, record_wraps, consents');
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Records as an operator would restore them (the API only sees their ciphertext), each with its owner's wrap. */
  async function addRecords(owner: RegisteredUser, count: number): Promise<void> {
    await api.adminQuery(
      `WITH made AS (
         INSERT INTO records (id, owner_id, size, chunk_bytes, metadata, created_at)
         SELECT gen_random_uuid(), $1, 1000, 262144, $2, now() - make_interval(secs => n) FROM generate_series(1, $3) AS n RETURNING id)
       INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_generation) SELECT id, $1, $1, $4, 1 FROM made`,
      [owner.userId, sealedBlob(64), count, sealedBlob()],
    );
  }

  async function shareAll(patient: RegisteredUser): Promise<string> {
    const rows = await api.adminQuery<{ id: string }>('SELECT id FROM records WHERE owner_id = $1', [patient.userId]);
    const wraps = rows.map((row) => ({ recordId: row.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }));
    const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'all', wraps } });
    expect(granted.status).toBe(201);
    return granted.body.id;
  }

  /** Runs the statements as `caller` in one transaction, rolled back; `swap` replaces parameters (another consent's id). */
  async function replay(caller: RegisteredUser, role: 'patient' | 'doctor', statements: Array<{ sql: string; parameters: unknown[] }>, swap = new Map<unknown, unknown>()): Promise<Replayed> {
    let recordsRead = 0;
    let wrapLookups = 0;
    let wrapRowsRead = 0;
    let recordScans = 0;
    let consentsExamined = 0;
    await api.adminQuery('BEGIN');
    try {
      await api.adminQuery(`SET LOCAL track_functions = 'all'`);
      await api.adminQuery('SET LOCAL ROLE phr_app');
      await api.adminQuery(`SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true)`, [caller.userId, role]);
      for (const statement of statements) {
        const parameters = statement.parameters.map((value) => (swap.has(value) ? swap.get(value) : value));
        const [{ 'QUERY PLAN': plan }] = await api.adminQuery<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.sql}`, parameters);
        recordsRead = Math.max(recordsRead, mostRowsFromRecords(plan));
        wrapLookups += loopsOver(plan, 'record_wraps');
        wrapRowsRead += rowsFrom(plan, 'record_wraps');
        recordScans += loopsOver(plan, 'records');
        consentsExamined += scansOf(plan, 'consents').reduce((sum, scan) => sum + scan.examined, 0);
      }
      const rows = await api.adminQuery<{ funcname: string; calls: string }>('SELECT funcname, calls FROM pg_stat_xact_user_functions');
      return { calls: new Map(rows.map((row) => [row.funcname, Number(row.calls)])), recordsRead, wrapLookups, wrapRowsRead, recordScans, consentsExamined };
    } finally {
      await api.adminQuery('ROLLBACK');
    }
  }

  const listStatements = async (caller: RegisteredUser, query: { ownerId?: string }) =>
    (await sentStatements(api, () => caller.client.send(ROUTES.listRecords, { token: caller.token, query: { ...query, limit: PAGE } }))).filter((statement) =>
      /\bFROM records r\b/.test(statement.sql),
    );

  it(`reads one page of a patient's own records, whether they hold ${SMALL} or ${LARGE}`, async () => {
    const few = await replay(small, 'patient', await listStatements(small, {}));
    const many = await replay(large, 'patient', await listStatements(large, {}));
    expect(many.recordsRead).toBeLessThanOrEqual(PAGE + 1);
    // The caller's wrap is looked up once per listed row, not once for the filter and again for the column.
    expect(many.wrapLookups).toBeLessThanOrEqual(PAGE + 1);
    expectNoCallPerRow(few, PAGE);
    expectNoCallPerRow(many, PAGE);
  });

  it(`reads one page of a patient's records shared with a doctor, whether they hold ${SMALL} or ${LARGE}, with no function call per row`, async () => {
    await shareAll(small);
    await shareAll(large);
    const few = await replay(doctor, 'doctor', await listStatements(doctor, { ownerId: small.userId }));
    const many = await replay(doctor, 'doctor', await listStatements(doctor, { ownerId: large.userId }));
    expect(many.recordsRead).toBeLessThanOrEqual(PAGE + 1);
    expect(many.wrapLookups).toBeLessThanOrEqual(PAGE + 1);
    expectNoCallPerRow(few, PAGE);
    expectNoCallPerRow(many, PAGE);
    // Across every patient who shared (two): a page per consent, not every record shared.
    const all = await replay(doctor, 'doctor', await listStatements(doctor, {}));
    expect(all.recordsRead).toBeLessThanOrEqual(2 * (PAGE + 1));
    expectNoCallPerRow(all, PAGE);
  });

  it(`looks a page's records up by id, reading those alone, for the owner of ${LARGE} records and for a doctor they are shared with (another patient's left out)`, async () => {
    const patient = await registerUser(api);
    const unshared = await registerUser(api);
    await addRecords(patient, LARGE);
    await addRecords(unshared, SMALL);
    await shareAll(patient);
    await api.adminQuery('ANALYZE records, record_wraps, consents');
    // The oldest records: a walk of the listing's index from the newest would read every record first.
    const oldest = async (owner: RegisteredUser, count: number) =>
      (await api.adminQuery<{ id: string }>('SELECT id FROM records WHERE owner_id = $1 ORDER BY created_at, id LIMIT $2', [owner.userId, count])).map((row) => row.id);
    const shared = (await oldest(patient, PAGE)).reverse();
    const ids = [...(await oldest(unshared, 2)), ...shared].join(',');

    for (const [caller, role] of [[patient, 'patient'], [doctor, 'doctor']] as const) {
      let page: RouteResult<RecordPage> | undefined;
      const statements = (await sentStatements(api, async () => (page = await caller.client.send(ROUTES.listRecords, { token: caller.token, query: { ids, limit: 100 } })))).filter((statement) =>
        /\bFROM records r\b/.test(statement.sql),
      );
      expect(page?.body.items.map((item) => item.id)).toEqual(shared);
      const replayed = await replay(caller, role, statements);
      expect(replayed.recordsRead).toBeLessThanOrEqual(PAGE + 2);
      expect(replayed.wrapLookups).toBeLessThanOrEqual(PAGE + 2);
      // One scan of the records, by their ids.
      expect(replayed.recordScans).toBe(1);
      expectNoCallPerRow(replayed, PAGE);
    }
  });

  it(`revokes a consent over ${SMALL} or ${LARGE} records with no function call per record`, async () => {
    const revokeStatements = async (patient: RegisteredUser) => {
      const consentId = await shareAll(patient);
      const statements = await sentStatements(api, () => patient.client.send(ROUTES.updateConsent, { token: patient.token, params: { id: consentId }, body: { status: 'revoked' } }));
      // Run again against a consent in force (granted anew), so that the deletion has every wrap to delete.
      const again = await shareAll(patient);
      const writes = statements.filter((statement) => /^\s*(UPDATE consents|DELETE FROM record_wraps)/.test(statement.sql));
      expect(writes).toHaveLength(2);
      return replay(patient, 'patient', writes, new Map([[consentId, again]]));
    };
    const few = await revokeStatements(smallToRevoke);
    const many = await revokeStatements(largeToRevoke);
    expectNoCallPerRow(few, SMALL);
    expectNoCallPerRow(many, SMALL);
  });

  it(`deletes a record or a folder finding the consents over it by index, past ${LARGE} consents over others (no sequential scan)`, async () => {
    const patient = await registerUser(api);
    await addRecords(patient, 2);
    const [first, second] = (await api.adminQuery<{ id: string }>('SELECT id FROM records WHERE owner_id = $1 ORDER BY id', [patient.userId])).map((row) => row.id);
    const newFolder = async () => (await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(20) } })).body.id;
    const [folderA, folderB] = [await newFolder(), await newFolder()];
    await api.adminQuery(
      `INSERT INTO consents (id, patient_id, doctor_id, scope, record_id, folder_id)
       SELECT gen_random_uuid(), $1, $2, scope, record_id, folder_id FROM unnest($3::text[], $4::uuid[], $5::uuid[]) AS s(scope, record_id, folder_id)`,
      [patient.userId, doctor.userId, ['record', 'record', 'folder', 'folder'], [first, second, null, null], [null, null, folderA, folderB]],
    );
    await api.adminQuery(
      `INSERT INTO consents (id, patient_id, doctor_id, scope, record_id) SELECT gen_random_uuid(), owner_id, $1, 'record', id FROM records WHERE owner_id = $2`,
      [doctor.userId, large.userId],
    );
    await api.adminQuery('ANALYZE consents');

    /** Sequential scans of consents while the statements over consents and the deletion run again as the patient (its cascade included), rolled back. */
    const sequentialScans = async (statements: Array<{ sql: string; parameters: unknown[] }>, swap: Map<unknown, unknown>): Promise<number> => {
      await api.adminQuery('BEGIN');
      try {
        // The backend's counts not yet flushed (at most once a second, between transactions) show too: the difference counts.
        const before = await seqScans();
        await api.adminQuery('SET LOCAL ROLE phr_app');
        await api.adminQuery(`SELECT set_config('app.user_id', $1, true), set_config('app.role', 'patient', true)`, [patient.userId]);
        for (const statement of statements.filter((sent) => /\bconsents\b|^DELETE FROM "(records|folders)"/.test(sent.sql))) {
          await api.adminQuery(statement.sql, statement.parameters.map((value) => (swap.has(value) ? swap.get(value) : value)));
        }
        await api.adminQuery('RESET ROLE');
        return (await seqScans()) - before;
      } finally {
        await api.adminQuery('ROLLBACK');
      }
    };
    const seqScans = async () => Number((await api.adminQuery<{ seq_scan: string }>(`SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'consents'`))[0].seq_scan);
    const deleteRecord = await sentStatements(api, () => patient.client.send(ROUTES.deleteRecord, { token: patient.token, params: { id: first } }));
    expect(await api.adminQuery('SELECT status FROM consents WHERE record_id = $1', [first])).toHaveLength(0);
    expect(await sequentialScans(deleteRecord, new Map([[first, second]]))).toBe(0);
    const deleteFolder = await sentStatements(api, () => patient.client.send(ROUTES.deleteFolder, { token: patient.token, params: { id: folderA } }));
    expect(await api.adminQuery('SELECT status FROM consents WHERE folder_id = $1', [folderA])).toHaveLength(0);
    expect(await sequentialScans(deleteFolder, new Map([[folderA, folderB]]))).toBe(0);
  });

  it(`counts the stale wraps on a doctor's page of consents from the stale wraps alone, whether a patient holds ${SMALL} or ${LARGE} records`, async () => {
    const fewRecords = await registerUser(api);
    const manyRecords = await registerUser(api);
    await addRecords(fewRecords, SMALL);
    await addRecords(manyRecords, LARGE);
    const fewConsent = await shareAll(fewRecords);
    const manyConsent = await shareAll(manyRecords);
    // Three of the doctor's wraps of the larger patient's records made for keys the doctor had before: one fingerprint sorts before the current one, two after.
    const [{ fingerprint }] = await api.adminQuery<{ fingerprint: string }>('SELECT fingerprint FROM public_keys WHERE user_id = $1', [doctor.userId]);
    expect(fingerprint > '0'.repeat(64) && fingerprint < 'f'.repeat(64)).toBe(true);
    await api.adminQuery(
      `UPDATE record_wraps w SET key_fingerprint = CASE WHEN s.n = 1 THEN $3 ELSE $4 END
       FROM (SELECT record_id, row_number() OVER (ORDER BY record_id) AS n FROM record_wraps WHERE recipient_id = $1 AND owner_id = $2 ORDER BY record_id LIMIT 3) s
       WHERE w.record_id = s.record_id AND w.recipient_id = $1`,
      [doctor.userId, manyRecords.userId, '0'.repeat(64), 'f'.repeat(64)],
    );
    await api.adminQuery('ANALYZE records, record_wraps, consents');

    let page: RouteResult<ConsentPage> | undefined;
    const statements = await sentStatements(api, async () => (page = await doctor.client.send(ROUTES.listConsents, { token: doctor.token })));
    const staleOf = (consentId: string) => page?.body.items.find((consent) => consent.id === consentId)?.staleWraps;
    expect(staleOf(manyConsent)).toBe(3);
    expect(staleOf(fewConsent)).toBe(0);

    const counting = statements.filter((statement) => /\bAS stale\b/.test(statement.sql) && /\brecord_wraps\b/.test(statement.sql));
    expect(counting).toHaveLength(1);
    const replayed = await replay(doctor, 'doctor', counting);
    // Every patient on the page holds ${SMALL} or ${LARGE} records shared in full; only the three stale wraps and their records are read.
    expect(replayed.recordsRead).toBeLessThanOrEqual(3);
    expect(replayed.wrapRowsRead).toBeLessThanOrEqual(3);
    expectNoCallPerRow(replayed, SMALL);
  });

  it(`reads a page of one status of a doctor's or a patient's consents from that status alone, past ${LARGE} newer consents of another`, async () => {
    const busyDoctor = await registerUser(api, 'doctor');
    const patient = await registerUser(api);
    const insertConsents = (count: number, status: string, ageSeconds: number, expiresAt: string | null) =>
      api.adminQuery(
        `INSERT INTO consents (id, patient_id, doctor_id, scope, status, expires_at, created_at, revoked_at)
         SELECT gen_random_uuid(), $1, $2, 'all', $3, $4::timestamptz, now() - make_interval(secs => $5 + n), CASE WHEN $3 = 'revoked' THEN now() END FROM generate_series(1, $6) AS n`,
        [patient.userId, busyDoctor.userId, status, expiresAt, ageSeconds, count],
      );
    // Oldest first: two active past their expiry (not yet swept), two expired, three active; then many revoked, newer than all of them.
    await insertConsents(2, 'active', 3000, '2020-01-01T00:00:00Z');
    await insertConsents(2, 'expired', 2000, '2020-01-01T00:00:00Z');
    await insertConsents(3, 'active', 1000, null);
    await insertConsents(LARGE, 'revoked', 0, null);
    await api.adminQuery('ANALYZE consents');

    for (const [caller, role] of [
      [busyDoctor, 'doctor'],
      [patient, 'patient'],
    ] as const) {
      for (const [status, expected] of [
        ['active', 3],
        ['expired', 4],
        ['revoked', PAGE],
      ] as const) {
        let page: RouteResult<ConsentPage> | undefined;
        const statements = await sentStatements(api, async () => (page = await caller.client.send(ROUTES.listConsents, { token: caller.token, query: { status, limit: PAGE } })));
        expect(page?.status).toBe(200);
        expect(page?.body.items.map((consent) => consent.status)).toEqual(Array.from({ length: expected }, () => status));
        const createdAt = page?.body.items.map((consent) => consent.createdAt) ?? [];
        expect(createdAt).toEqual([...createdAt].sort().reverse());
        const paging = statements.filter((statement) => /\bFROM consents c\b/.test(statement.sql) && /ORDER BY c\.created_at DESC/.test(statement.sql));
        expect(paging).toHaveLength(1);
        const { consentsExamined } = await replay(caller, role, paging);
        // The page (and the one row past it that tells whether there is another), not the revoked ones in between.
        expect(consentsExamined).toBeLessThanOrEqual(2 * (PAGE + 1));
      }
    }
  });
});

/**
 * No function is called once per row: each is called fewer times than the rows the statements
 * return or delete (an InitPlan runs once per statement; the clinician's standing, for instance).
 * consent_covers() is not called at all.
 */
function expectNoCallPerRow(replayed: Replayed, rows: number): void {
  expect(replayed.calls.has('consent_covers')).toBe(false);
  expect(Object.fromEntries([...replayed.calls].filter(([, calls]) => calls >= rows))).toEqual({});
}

/** Each scan of `relation` in an EXPLAIN (ANALYZE, FORMAT JSON) plan: its loops, the rows it returned over all of them, and those with the rows its filter removed. */
function scansOf(plan: unknown, relation: string): Array<{ loops: number; rows: number; examined: number }> {
  const scans: Array<{ loops: number; rows: number; examined: number }> = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const fields = node as Record<string, unknown>;
    if (fields['Relation Name'] === relation) {
      const loops = Number(fields['Actual Loops'] ?? 0);
      // PostgreSQL 18 shows a scan's rows per loop to two decimals: their product with the loops is a count again once rounded.
      const rows = Math.round(Number(fields['Actual Rows'] ?? 0) * loops);
      scans.push({ loops, rows, examined: rows + Math.round(Number(fields['Rows Removed by Filter'] ?? 0) * loops) });
    }
    Object.values(fields).forEach(visit);
  };
  visit(plan);
  return scans;
}

/** The loops of every scan of `relation`, added up. */
const loopsOver = (plan: unknown, relation: string) => scansOf(plan, relation).reduce((sum, scan) => sum + scan.loops, 0);

/** The rows every scan of `relation` returned, added up. */
const rowsFrom = (plan: unknown, relation: string) => scansOf(plan, relation).reduce((sum, scan) => sum + scan.rows, 0);

/** The most rows one scan of `records` returned, over all its loops. */
const mostRowsFromRecords = (plan: unknown) => Math.max(0, ...scansOf(plan, 'records').map((scan) => scan.rows));
