/**
 * Where a first page of GET /records goes (issue 14): starts the product as the bench does, with
 * the API under cpu-profile-preload.mjs and PostgreSQL with pg_stat_statements, seeds as the
 * lists bench does (other patients' records shared with one doctor, a patient of RECORDS records
 * shared with the doctor too), then loads the patient's own first page and the doctor's first
 * page of that patient in turn, CONNECTIONS callers for SECONDS each, and prints for each the CPU
 * per request of the API, PostgreSQL and this process (from /proc), PostgreSQL's statements per
 * request (planning and execution apart), and the API's V8 profile summary of that load
 * (summarize-cpu-profile.ts). Usage:
 *   node --import tsx infra/bench/profile/profile-lists.ts [seconds] [connections] [patient,doctor] [records]
 * Needs Linux (/proc, ss). Not a benchmark: figures vary with the machine's other load.
 */
import os from 'node:os';
import pg from 'pg';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad } from '../load.js';
import { childrenOf, msPerOperation, requireListenerPid, sumTicks, ticksOf } from '../process-cpu.js';
import { apiProfilesSince, printTopStatements, startProfiledProduct, summarizeProfile } from './profiled-stack.js';
import { addRecords, grantAll, seedOthers } from '../lists-bench.js';
import { stackMailbox } from '../../local/stack.js';

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 4);
const WHO = (process.argv[4] ?? 'patient,doctor').split(',') as Array<'patient' | 'doctor'>;
const RECORDS = Number(process.argv[5] ?? 10_000);
const OTHER_PATIENTS = 4;
const PAGE = 50;
const profiled = await startProfiledProduct();
const { product } = profiled;
const { stack, database } = product;
const profiles: Array<{ who: string; file: string }> = [];
try {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const owner = new pg.Pool({ connectionString: stack.databaseAdminUrl.replace(/\/[^/]*$/, `/${database}`), max: 2 });
  const doctor = await registerUser(api, 'doctor');
  const patient = await registerUser(api);
  console.log(`Seeding ${OTHER_PATIENTS} other patients × 5,000 records shared with the doctor, and a patient of ${RECORDS} records…`);
  await seedOthers(owner, doctor.userId, OTHER_PATIENTS);
  await addRecords(owner, patient.userId, RECORDS);
  await grantAll(owner, patient, doctor);
  await owner.query('ANALYZE records, record_wraps, consents');
  await owner.end();

  const listUrl = (ownerId?: string) => `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.listRecords)}?limit=${PAGE}${ownerId ? `&ownerId=${ownerId}` : ''}`;
  const loads = {
    patient: { url: listUrl(), headers: { authorization: `Bearer ${patient.token}` } },
    doctor: { url: listUrl(patient.userId), headers: { authorization: `Bearer ${doctor.token}` } },
  };
  const apiPid = requireListenerPid(Number(new URL(stack.apiUrl).port));
  const postgresPid = requireListenerPid(Number(new URL(stack.databaseAdminUrl).port));
  const admin = new pg.Client({ connectionString: stack.databaseOwnerUrl.replace(/\/\/[^@]+@/, `//postgres:profile@`) });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  for (const who of WHO) {
    const load = loads[who];
    await measureLoad({ ...load, connections: CONNECTIONS, seconds: 3, expectStatus: 200 });
    await admin.query('SELECT pg_stat_statements_reset(), pg_stat_reset()');
    process.kill(apiPid, 'SIGWINCH');
    const before = { api: sumTicks(ticksOf([apiPid])), postgres: ticksOf([postgresPid, ...childrenOf(postgresPid)]), bench: sumTicks(ticksOf([process.pid])) };
    const result = await measureLoad({ ...load, connections: CONNECTIONS, seconds: SECONDS, expectStatus: 200 });
    const ended = Date.now();
    const afterPostgres = ticksOf([postgresPid, ...childrenOf(postgresPid)]);
    const after = { api: sumTicks(ticksOf([apiPid])), bench: sumTicks(ticksOf([process.pid])) };
    const postgresTicks = [...afterPostgres].reduce((acc, [pid, ticks]) => acc + ticks - (before.postgres.get(pid) ?? 0), 0);
    const perRequest = (ticks: number) => msPerOperation(ticks, result.requests).toFixed(2);
    console.log(`\n== ${who}: ${result.requests} first pages in ${SECONDS} s, ${CONNECTIONS} connections: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`CPU per request: API ${perRequest(after.api - before.api)} ms, PostgreSQL ${perRequest(postgresTicks)} ms, load generator ${perRequest(after.bench - before.bench)} ms`);
    await printTopStatements(admin, result.requests, 'request', 15);
    // SIGWINCH again writes this load's profile (and starts one more, written when the API stops).
    process.kill(apiPid, 'SIGWINCH');
    profiles.push({ who, file: await profileWrittenSince(ended) });
  }
  await admin.end();
} finally {
  await profiled.stop();
}
for (const { who, file } of profiles) {
  console.log(`\n== API profile, ${who}: ${file}`);
  if (file) summarizeProfile(file, ['--top', '45', '--depth', '18']);
}

/** The profile the API wrote (cpu-profile-preload.mjs) since `since`, once it is there. */
async function profileWrittenSince(since: number): Promise<string> {
  for (let tries = 0; tries < 50; tries++) {
    const file = apiProfilesSince(since).at(-1);
    if (file) return file;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return '';
}
