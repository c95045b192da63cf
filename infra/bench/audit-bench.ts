/**
 * Reading the audit trail at scale (issue 14), `npm run bench -- audit`:
 * the data generator (infra/seed) fills the running product's database with
 * one patient of AUDIT_BENCH_PATIENT_ROWS rows (default 1M) and other
 * patients up to AUDIT_BENCH_TOTAL_ROWS in all (default 3M, so the part ends
 * in minutes on two cores; 10M is the size). Then, signed in as that
 * patient and as an auditor, the p95 of the first page of GET /audit and of
 * each filter through the API (one caller, closed loop, measureLoad), against
 * the baseline of the same SQL (the API's own repository, on a bare pg
 * client in a transaction with the same RLS context): the API's overhead.
 * Also the size per million rows, and the portal's chain check (its own
 * code, in Node) for N rows added since the kept head against a whole trail.
 */
import pg from 'pg';
import { API_PREFIX, ROUTES, type AuditHead, type AuditPage, type AuditQuery } from '@phr/shared-types';
import { signedIn } from '@phr/backend/test-support/factories.js';
import { testClient } from '@phr/backend/test-support/http.js';
import { AuditEventsRepository, type AuditRowFilter } from '../../backend/src/audit/audit-events.repository.js';
import type { Db } from '../../backend/src/db/db.service.js';
import { checkChainSinceCheckpoint, type ChainReader } from '../../frontend/src/features/trust/audit-checkpoint.js';
import { seed, type SeedResult } from '../seed/seed.js';
import { measureLoad, median, percentile } from './load.js';
import type { ApiBenchRow } from './api-bench.js';
import { withDatabase } from '../local/postgres.js';
import type { RunningStack } from '../local/stack.js';

const PATIENT_ROWS = Number(process.env.AUDIT_BENCH_PATIENT_ROWS ?? 1_000_000);
const TOTAL_ROWS = Number(process.env.AUDIT_BENCH_TOTAL_ROWS ?? 3_000_000);
const OTHER_PATIENTS = 20;
const SECONDS = 2;
const ROUNDS = 3;
const BASELINE_RUNS = 300;
const PAGE = 50;

interface Caller {
  userId: string;
  token: string;
  role: 'patient' | 'auditor';
}

interface Shape {
  name: string;
  caller: Caller;
  query: AuditQuery;
  /** What the API's AuditReadService hands its repository for this query. */
  filter: AuditRowFilter;
}

function log(message: string): void {
  console.error(`[audit-bench] ${message}`);
}

async function signInAs(stack: RunningStack, email: string, authKey: string): Promise<string> {
  const answer = await testClient(stack.apiUrl).send(ROUTES.login, { body: { email, authKey } });
  if (answer.status !== 200) throw new Error(`login of ${email} failed: ${answer.status} ${answer.text}`);
  return signedIn(answer.body).accessToken;
}

function queryString(query: AuditQuery): string {
  const params = new URLSearchParams(Object.entries(query).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])));
  return params.size ? `?${params}` : '';
}

/** The p95 of the same SQL the API runs, on one bare pg connection as the app role, each in its own transaction with the caller's RLS context. */
async function sqlP95(client: pg.Client, shape: Shape): Promise<number> {
  const db = { manager: () => ({ query: async (sql: string, params: unknown[]): Promise<unknown[]> => (await client.query<Record<string, unknown>>(sql, params)).rows }) } as unknown as Db;
  const repository = new AuditEventsRepository(db);
  const times: number[] = [];
  for (let run = 0; run < BASELINE_RUNS; run++) {
    const started = performance.now();
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true)`, [shape.caller.userId, shape.caller.role]);
    await repository.select(shape.filter, PAGE + 1);
    await client.query('COMMIT');
    times.push(performance.now() - started);
  }
  return percentile(times.sort((a, b) => a - b), 0.95);
}

async function apiP95(stack: RunningStack, shape: Shape): Promise<number> {
  const url = `${stack.apiUrl}${API_PREFIX}${ROUTES.listAudit.path}${queryString({ ...shape.query, limit: PAGE })}`;
  const result = await measureLoad({ url, headers: { authorization: `Bearer ${shape.caller.token}` }, connections: 1, seconds: SECONDS, expectStatus: 200 });
  return result.p95Ms;
}

async function seedTrails(stack: RunningStack): Promise<{ heavy: SeedResult; others: SeedResult }> {
  const started = performance.now();
  log(`Seeding one patient with ${PATIENT_ROWS} audit rows…`);
  const heavy = await seed(stack.databaseOwnerUrl, { patients: 1, recordsPerPatient: 50, doctors: 20, auditors: 1, consentsPerPatient: 5, auditRowsPerPatient: PATIENT_ROWS });
  const rest = Math.max(0, TOTAL_ROWS - PATIENT_ROWS);
  log(`Seeding ${OTHER_PATIENTS} more patients, ${rest} rows in all…`);
  const others = await seed(stack.databaseOwnerUrl, { patients: OTHER_PATIENTS, recordsPerPatient: 20, doctors: 20, auditors: 1, consentsPerPatient: 2, auditRows: rest });
  log(`Seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { heavy, others };
}

/** A week of the trail's span, a month before its end: a time range that cuts through it. */
function timeWindow(): { from: string; to: string } {
  const end = Date.now() - 30 * 86_400_000;
  return { from: new Date(end - 7 * 86_400_000).toISOString(), to: new Date(end).toISOString() };
}

async function cursorOfSecondPage(stack: RunningStack, caller: Caller, query: AuditQuery): Promise<string> {
  const response = await fetch(`${stack.apiUrl}${API_PREFIX}${ROUTES.listAudit.path}${queryString({ ...query, limit: PAGE })}`, { headers: { authorization: `Bearer ${caller.token}` } });
  const page = (await response.json()) as AuditPage;
  if (!page.nextCursor) throw new Error('no second page');
  return page.nextCursor;
}

function decodeBefore(cursor: string): AuditRowFilter['before'] {
  const [occurredAt, subjectId, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string, number];
  return { occurredAt, subjectId, seq };
}

/** What the portal's chain check reads, over fetch, for running it in Node. */
function auditApiOver(stack: RunningStack, token: string, counter: { requests: number; rows: number }): ChainReader {
  const get = async <T>(path: string): Promise<T> => {
    counter.requests++;
    const response = await fetch(`${stack.apiUrl}${API_PREFIX}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    list: async (query: AuditQuery) => {
      const page = await get<AuditPage>(`${ROUTES.listAudit.path}${queryString(query)}`);
      counter.rows += page.items.length;
      return page;
    },
    head: () => get<AuditHead>(ROUTES.auditHead.path),
  };
}

/** Seconds, requests and rows of the portal's chain check from a checkpoint `behind` rows before the head (the whole trail when it is the head's seq). */
async function chainCheck(stack: RunningStack, caller: Caller, behind: number): Promise<{ seconds: number; requests: number; rows: number }> {
  const counter = { requests: 0, rows: 0 };
  const api = auditApiOver(stack, caller.token, counter);
  const head = await api.head();
  counter.requests = 0;
  const from = head.seq - behind;
  const checkpoint = from > 0 ? { sequence: from, hash: (await api.list({ afterSeq: from - 1, limit: 1 })).items[0].hash } : null;
  counter.requests = 0;
  counter.rows = 0;
  const started = performance.now();
  const { verdict } = await checkChainSinceCheckpoint(api, caller.userId, checkpoint);
  if (!verdict.isIntact) throw new Error(`the chain check failed: ${verdict.problem}`);
  return { seconds: (performance.now() - started) / 1000, ...counter };
}

export async function auditReadBench(stack: RunningStack, database: string): Promise<ApiBenchRow[]> {
  const { heavy, others } = await seedTrails(stack);
  const patientAccount = heavy.patients[0];
  const patient: Caller = { userId: patientAccount.userId, role: 'patient', token: await signInAs(stack, patientAccount.email, heavy.authKey) };
  const auditor: Caller = { userId: heavy.auditors[0].userId, role: 'auditor', token: await signInAs(stack, heavy.auditors[0].email, heavy.authKey) };
  const doctorId = heavy.doctors[0].userId;
  const pg0 = new pg.Client({ connectionString: withDatabase(stack.databaseAdminUrl, database) });
  await pg0.connect();
  const [{ record_id: recordId }] = (
    await pg0.query<{ record_id: string }>('SELECT record_id FROM audit_events WHERE subject_id = $1 AND record_id IS NOT NULL ORDER BY seq DESC LIMIT 1', [patient.userId])
  ).rows;
  const window = timeWindow();
  const other = others.patients[0].userId;
  const patientCursor = await cursorOfSecondPage(stack, patient, {});
  const auditorCursor = await cursorOfSecondPage(stack, auditor, {});
  const p = patient.userId;
  const shapes: Shape[] = [
    { name: 'patient: first page', caller: patient, query: {}, filter: { subjectId: p } },
    { name: 'patient: second page (cursor)', caller: patient, query: { cursor: patientCursor }, filter: { subjectId: p, before: decodeBefore(patientCursor) } },
    { name: 'patient: action=record.read', caller: patient, query: { action: 'record.read' }, filter: { subjectId: p, action: 'record.read' } },
    { name: 'patient: outcome=deny', caller: patient, query: { outcome: 'deny' }, filter: { subjectId: p, outcome: 'deny' } },
    { name: 'patient: actorId=a doctor', caller: patient, query: { actorId: doctorId }, filter: { subjectId: p, actorId: doctorId } },
    { name: 'patient: recordId', caller: patient, query: { recordId }, filter: { subjectId: p, recordId } },
    { name: 'patient: from/to (a week)', caller: patient, query: window, filter: { subjectId: p, ...window } },
    { name: 'patient: action=key.rotate (none)', caller: patient, query: { action: 'key.rotate' }, filter: { subjectId: p, action: 'key.rotate' } },
    { name: 'auditor: first page, all trails', caller: auditor, query: {}, filter: {} },
    { name: 'auditor: second page (cursor)', caller: auditor, query: { cursor: auditorCursor }, filter: { before: decodeBefore(auditorCursor) } },
    { name: 'auditor: subjectId', caller: auditor, query: { subjectId: other }, filter: { subjectId: other } },
    { name: 'auditor: subjectId + outcome=deny', caller: auditor, query: { subjectId: p, outcome: 'deny' }, filter: { subjectId: p, outcome: 'deny' } },
    { name: 'auditor: outcome=deny', caller: auditor, query: { outcome: 'deny' }, filter: { outcome: 'deny' } },
    { name: 'auditor: action=session.login', caller: auditor, query: { action: 'session.login' }, filter: { action: 'session.login' } },
    { name: 'auditor: actorId=a doctor', caller: auditor, query: { actorId: doctorId }, filter: { actorId: doctorId } },
    { name: 'auditor: recordId', caller: auditor, query: { recordId }, filter: { recordId } },
    { name: 'auditor: from/to (a week)', caller: auditor, query: window, filter: window },
    { name: 'auditor: action=key.rotate (none)', caller: auditor, query: { action: 'key.rotate' }, filter: { action: 'key.rotate' } },
  ];
  // The API's role, so that the same RLS policies apply.
  const app = new pg.Client({ connectionString: withDatabase(stack.databaseAdminUrl, database) });
  await app.connect();
  await app.query('SET ROLE phr_app');
  const rows: ApiBenchRow[] = [];
  try {
    const total = Number((await pg0.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0].n);
    for (const shape of shapes) {
      const api: number[] = [];
      const sql: number[] = [];
      // Interleaved rounds, medians.
      for (let round = 0; round < ROUNDS; round++) {
        sql.push(await sqlP95(app, shape));
        api.push(await apiP95(stack, shape));
      }
      const value = median(api);
      const baseline = median(sql);
      log(`${shape.name}: API p95 ${value.toFixed(2)} ms, SQL p95 ${baseline.toFixed(2)} ms`);
      rows.push({
        measure: `GET /audit ${shape.name} (${(total / 1e6).toFixed(1)}M rows, patient ${(PATIENT_ROWS / 1e6).toFixed(1)}M; p95, 1 caller)`,
        value: `${value.toFixed(2)} ms`,
        baseline: `${baseline.toFixed(2)} ms the same SQL on bare pg (RLS context, own transaction)`,
        ratio: `${(value / baseline).toFixed(2)}× the latency`,
      });
    }
    const size = (await pg0.query<{ table: string; indexes: string }>(`SELECT pg_table_size('audit_events') AS table, pg_indexes_size('audit_events') AS indexes`)).rows[0];
    const perMillion = (bytes: string) => ((Number(bytes) / total) * 1e6) / 1024 / 1024;
    rows.push({
      measure: `audit_events size per million rows (${total} rows)`,
      value: `${perMillion(size.table).toFixed(0)} MiB table + ${perMillion(size.indexes).toFixed(0)} MiB indexes`,
      baseline: '—',
      ratio: '—',
    });
    rows.push(...(await chainCheckRows(stack, patient, others)));
  } finally {
    await app.end();
    await pg0.end();
  }
  return rows;
}

/** The portal's check from a kept head 1,000 rows back, against the whole trail of a patient with (total − heavy) / OTHER_PATIENTS rows. */
async function chainCheckRows(stack: RunningStack, patient: Caller, others: SeedResult): Promise<ApiBenchRow[]> {
  const other = others.patients[0];
  const whole: Caller = { userId: other.userId, role: 'patient', token: await signInAs(stack, other.email, others.authKey) };
  const rows: ApiBenchRow[] = [];
  const full = await chainCheck(stack, whole, Number.MAX_SAFE_INTEGER);
  for (const behind of [100, 10_000]) {
    const seconds: number[] = [];
    let last = { requests: 0, rows: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const run = await chainCheck(stack, patient, behind);
      seconds.push(run.seconds);
      last = run;
    }
    rows.push({
      measure: `Portal chain check, ${behind} rows since the kept head (trail of ${(PATIENT_ROWS / 1e6).toFixed(1)}M rows)`,
      value: `${(median(seconds) * 1000).toFixed(0)} ms, ${last.requests} requests, ${last.rows} rows`,
      baseline: `whole trail of ${full.rows} rows from genesis: ${(full.seconds * 1000).toFixed(0)} ms, ${full.requests} requests`,
      ratio: `${((median(seconds) / full.seconds) * 100).toFixed(1)}% of the whole check`,
    });
  }
  return rows;
}

