/**
 * Listings and sharing at scale (issue 14), `npm run bench -- lists`:
 *
 *  - first page (50) of a patient's own list and of a doctor's list of one
 *    patient, p95 in a closed loop, for a patient with 10 records against one
 *    with 10,000, in a database that also holds other patients' records (all
 *    shared with the same doctor). The ratio 10k/10 should be ~1. Measured
 *    with one connection (what one person sees, as the audit part measures its
 *    pages) and with four at once (requests of the same patient queue for the
 *    API's thread, the machine's two cores and the patient's chain head).
 *  - the same first page as one direct SQL statement (superuser, no RLS, an
 *    explicit owner condition): the floor the API's figure sits on.
 *  - granting one consent over all of 10,000 records (10,000 wraps in one
 *    request, default settings) and revoking it, against the same over 100
 *    records: the ratio should follow the rows touched (~100), no worse.
 *
 * Records are made with SQL as an operator's restore would (ciphertext the API
 * never reads), each with its owner's wrap; the rest goes through the API.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { API_PREFIX, DOCTOR_WRAP_BYTES, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser, sealedBlob, type RegisteredUser } from '@phr/backend/test-support/factories.js';
import type { ApiBenchRow } from './api-bench.js';
import { measureLoad, median, percentile } from './load.js';
import { withDatabase } from '../local/postgres.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';

const OTHER_PATIENTS = 20;
const RECORDS_PER_OTHER = 5_000;
const PAGE = 50;
const REPETITIONS = 3;
/** A closed loop of this many connections for this long, per page measured. */
const LOADS = [
  { connections: 1, seconds: 3 },
  { connections: 4, seconds: 3 },
] as const;
const SHARE_SMALL = 100;
const SHARE_LARGE = 10_000;

export async function listsBench(stack: RunningStack, database: string): Promise<ApiBenchRow[]> {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const admin = new pg.Pool({ connectionString: withDatabase(stack.databaseAdminUrl, database), max: 2 });
  try {
    const doctor = await registerUser(api, 'doctor');
    const few = await registerUser(api);
    const many = await registerUser(api);
    const sharesSmall = await registerUser(api);
    const sharesLarge = await registerUser(api);
    log(`Seeding ${OTHER_PATIENTS} other patients × ${RECORDS_PER_OTHER} records shared with the doctor, and the benchmark's patients…`);
    await seedOthers(admin, doctor.userId);
    await addRecords(admin, few.userId, 10);
    await addRecords(admin, many.userId, 10_000);
    await addRecords(admin, sharesSmall.userId, SHARE_SMALL);
    await addRecords(admin, sharesLarge.userId, SHARE_LARGE);
    await grantAll(admin, few, doctor);
    await grantAll(admin, many, doctor);
    await admin.query('ANALYZE records, record_wraps, consents');

    const rows: ApiBenchRow[] = [];
    log('First pages in a closed loop of 1 and of 4 connections, 10 against 10,000 records…');
    const listUrl = (ownerId?: string) => `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.listRecords)}?limit=${PAGE}${ownerId ? `&ownerId=${ownerId}` : ''}`;
    const pages = {
      patient10: { url: listUrl(), headers: bearer(few) },
      patient10k: { url: listUrl(), headers: bearer(many) },
      doctor10: { url: listUrl(few.userId), headers: bearer(doctor) },
      doctor10k: { url: listUrl(many.userId), headers: bearer(doctor) },
    };
    const p95 = LOADS.map(() => ({ patient10: [] as number[], patient10k: [] as number[], doctor10: [] as number[], doctor10k: [] as number[] }));
    // A second of each page first, unmeasured: the API's JIT, and the prepared statements of the pool's connections.
    for (const page of Object.values(pages)) await measureLoad({ ...page, connections: 4, seconds: 1, expectStatus: 200 });
    for (let round = 0; round < REPETITIONS; round++) {
      for (const [index, load] of LOADS.entries()) {
        for (const page of ['patient10', 'patient10k', 'doctor10', 'doctor10k'] as const) {
          p95[index][page].push((await measureLoad({ ...pages[page], ...load, expectStatus: 200 })).p95Ms);
        }
      }
    }
    for (const [index, load] of LOADS.entries()) {
      const how = `${load.connections === 1 ? '1 connection' : `${load.connections} connections`}, ${load.seconds} s, median of ${REPETITIONS}`;
      const figures = p95[index];
      rows.push(ratioRow(`Patient's first page (${PAGE}) p95, ${how}`, median(figures.patient10k), median(figures.patient10), '10,000 records', '10 records', undefined, GOAL));
      rows.push(ratioRow(`Doctor's first page (${PAGE}) of one patient p95, ${how}`, median(figures.doctor10k), median(figures.doctor10), '10,000 records', '10 records', undefined, GOAL));
    }
    const patient10k = median(p95[0].patient10k);
    const sql = await directFirstPage(admin, many.userId);
    rows.push({
      measure: `Patient's first page (${PAGE}), 10,000 records: API p95 (1 connection) against the direct SQL (superuser, no RLS, owner condition) p95`,
      value: `${patient10k.toFixed(1)} ms`,
      baseline: `${sql.toFixed(2)} ms`,
      ratio: `${(patient10k / sql).toFixed(1)}×`,
    });

    log('Sharing all records in one consent and revoking it, 100 against 10,000 records…');
    const times = { grantSmall: [] as number[], grantLarge: [] as number[], revokeSmall: [] as number[], revokeLarge: [] as number[] };
    for (let round = 0; round < REPETITIONS; round++) {
      for (const [patient, grant, revoke] of [
        [sharesSmall, times.grantSmall, times.revokeSmall],
        [sharesLarge, times.grantLarge, times.revokeLarge],
      ] as const) {
        const wraps = await doctorWraps(admin, patient.userId);
        let began = performance.now();
        const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'all', wraps } });
        grant.push(performance.now() - began);
        if (granted.status !== 201) throw new Error(`grant answered ${granted.status}: ${granted.text}`);
        began = performance.now();
        const revoked = await patient.client.send(ROUTES.updateConsent, { token: patient.token, params: { id: granted.body.id }, body: { status: 'revoked' } });
        revoke.push(performance.now() - began);
        if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}: ${revoked.text}`);
      }
    }
    rows.push(ratioRow(`POST /consents, scope all, one request, median of ${REPETITIONS}`, median(times.grantLarge), median(times.grantSmall), `${SHARE_LARGE} wraps`, `${SHARE_SMALL} wraps`, SHARE_LARGE / SHARE_SMALL));
    rows.push(ratioRow(`PATCH /consents/:id (revoke), median of ${REPETITIONS}`, median(times.revokeLarge), median(times.revokeSmall), `${SHARE_LARGE} wraps`, `${SHARE_SMALL} wraps`, SHARE_LARGE / SHARE_SMALL));
    return rows;
  } finally {
    await admin.end();
  }
}

function bearer(user: RegisteredUser): Record<string, string> {
  return { authorization: `Bearer ${user.token}` };
}

/** Issue 14's aim for a first page at 10,000 records. */
const GOAL = 'p95 < 20 ms at 10,000 records';

function ratioRow(measure: string, value: number, baseline: number, valueLabel: string, baselineLabel: string, rowsRatio?: number, goal?: string): ApiBenchRow {
  const ratio = value / baseline;
  return {
    measure,
    value: `${value.toFixed(1)} ms (${valueLabel})`,
    baseline: `${baseline.toFixed(1)} ms (${baselineLabel})`,
    ratio: rowsRatio ? `${ratio.toFixed(1)}× for ${rowsRatio}× the rows` : `${ratio.toFixed(2)}×`,
    goal,
  };
}

/** Other patients, as accounts that only hold records (no sign-in), each sharing everything with the doctor. */
export async function seedOthers(admin: pg.Pool, doctorId: string, patients = OTHER_PATIENTS): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const { rows } = await admin.query<{ id: string }>(
    `INSERT INTO users (id, email, display_name, role) SELECT gen_random_uuid(), 'bench-other-' || $1 || '-' || n || '@example.test', 'Other ' || n, 'patient'
     FROM generate_series(1, $2) AS n RETURNING id`,
    [tag, patients],
  );
  for (const { id } of rows) {
    await addRecords(admin, id, RECORDS_PER_OTHER);
    await admin.query(`INSERT INTO consents (id, patient_id, doctor_id, scope) VALUES (gen_random_uuid(), $1, $2, 'all')`, [id, doctorId]);
    await admin.query(
      `INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_fingerprint)
       SELECT r.id, $2, r.owner_id, $3, k.fingerprint FROM records r, public_keys k WHERE r.owner_id = $1 AND k.user_id = $2`,
      [id, doctorId, randomBytes(DOCTOR_WRAP_BYTES).toString('base64url')],
    );
  }
}

export async function addRecords(admin: pg.Pool, ownerId: string, count: number): Promise<void> {
  await admin.query(
    `WITH made AS (
       INSERT INTO records (id, owner_id, size, chunk_bytes, metadata, created_at)
       SELECT gen_random_uuid(), $1, 1000, 262144, $2, now() - make_interval(secs => n) FROM generate_series(1, $3) AS n RETURNING id)
     INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_generation) SELECT id, $1, $1, $4, 1 FROM made`,
    [ownerId, sealedBlob(200), count, sealedBlob()],
  );
}

async function doctorWraps(admin: pg.Pool, ownerId: string): Promise<Array<{ recordId: string; wrap: string }>> {
  const { rows } = await admin.query<{ id: string }>('SELECT id FROM records WHERE owner_id = $1', [ownerId]);
  return rows.map((row) => ({ recordId: row.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }));
}

export async function grantAll(admin: pg.Pool, patient: RegisteredUser, doctor: RegisteredUser): Promise<void> {
  const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'all', wraps: await doctorWraps(admin, patient.userId) } });
  if (granted.status !== 201) throw new Error(`grant answered ${granted.status}: ${granted.text}`);
}

/** p95 of the first page as one statement (superuser: no RLS), 200 runs, ms. */
async function directFirstPage(admin: pg.Pool, ownerId: string): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 200; run++) {
    const began = performance.now();
    await admin.query(
      `SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, w.wrap FROM records r
       JOIN record_wraps w ON w.record_id = r.id AND w.recipient_id = $1 WHERE r.owner_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT ${PAGE + 1}`,
      [ownerId],
    );
    times.push(performance.now() - began);
  }
  return percentile(times.sort((a, b) => a - b), 0.95);
}

function log(message: string): void {
  console.log(`[bench] ${message}`);
}
