/**
 * Where a sign-in's CPU goes (issue 14): starts the product as the bench does, with the API
 * under cpu-profile-preload.mjs, signs in ACCOUNTS accounts round robin from CONNECTIONS
 * callers for SECONDS, and prints the CPU each process spent per sign-in (API, PostgreSQL
 * server processes, this process with its load worker) from /proc, then the API's profile
 * summary (summarize-cpu-profile.ts; the profile covers the measured load only). Usage:
 *   node --import tsx infra/bench/profile/profile-sign-in.ts [seconds] [connections]
 * Needs Linux (/proc, ss). Not a benchmark: figures vary with the machine's other load.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad } from '../load.js';
import { stackMailbox } from '../../local/stack.js';
import { childrenOf, minorFaultsOf, requireListenerPid, sumTicks, threadTicksOf, ticksOf, titleOf, TICKS_PER_SECOND } from '../process-cpu.js';
import { apiProfilesSince, printTopStatements, startProfiledProduct, summarizeProfile } from './profiled-stack.js';

const SECONDS = Number(process.argv[2] ?? 15);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const ACCOUNTS = 24;
// --perf-basic-prof also turns V8's log on, which would land in the working folder (and /dev/null means stdout).
const profiled = await startProfiledProduct(`--perf-basic-prof --logfile=${path.join(os.tmpdir(), 'phr-api-v8.log')} --no-logfile-per-isolate`);
const { product } = profiled;
const { stack } = product;
try {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const accounts = [];
  for (let i = 0; i < ACCOUNTS; i++) accounts.push(await registerUser(api));
  const url = `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.login, {})}`;
  const requests = accounts.map((account) => ({ url, method: 'POST' as const, body: { email: account.request.email, authKey: account.request.authKey } }));
  await measureLoad({ url, requests, connections: CONNECTIONS, seconds: 3, expectStatus: 200, lean: true });

  const apiPid = requireListenerPid(Number(new URL(stack.apiUrl).port));
  const postgresPid = requireListenerPid(Number(new URL(stack.databaseAdminUrl).port));
  // PostgreSQL's server processes are counted by pid on both sides, so a connection opened during the load counts in full.
  const faultsBefore = minorFaultsOf(apiPid);
  const groups = () => ({ api: cpuOf([apiPid]), apiMainThread: threadTicksOf(apiPid), postgres: ticksOf([postgresPid, ...childrenOf(postgresPid)]), bench: cpuOf([process.pid]) });
  const admin = new pg.Client({ connectionString: stack.databaseOwnerUrl.replace(/\/\/[^@]+@/, `//postgres:profile@`) });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await admin.query('SELECT pg_stat_statements_reset(), pg_stat_reset()');
  process.kill(apiPid, 'SIGWINCH');
  const before = groups();
  // On-CPU samples of the API and PostgreSQL (the V8 profile samples wall time: a thread preempted in a syscall shows as busy there).
  const perfFile = path.join(os.tmpdir(), `phr-profile-${process.pid}.perf.data`);
  const perf = spawn('perf', ['record', '-F', '499', '-g', '-o', perfFile, '-p', [apiPid, postgresPid, ...childrenOf(postgresPid)].join(','), '--', 'sleep', String(SECONDS - 1)], { stdio: 'ignore' });
  const perfExited = new Promise((resolve) => perf.once('exit', resolve));
  const result = await measureLoad({ url, requests, connections: CONNECTIONS, seconds: SECONDS, expectStatus: 200, lean: true });
  await perfExited;
  console.log(`perf samples in ${perfFile} (perf report -i ${perfFile} --no-children --sort comm,dso,sym)`);
  const afterGroups = groups();
  const after = { ...afterGroups, postgres: sumTicks(afterGroups.postgres) };
  const beforeTotals = { ...before, postgres: [...afterGroups.postgres.keys()].reduce((acc, pid) => acc + (before.postgres.get(pid) ?? 0), 0) };
  console.log(`${result.requests} sign-ins in ${SECONDS} s: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`API minor page faults per sign-in: ${((minorFaultsOf(apiPid) - faultsBefore) / result.requests).toFixed(0)} (a 19 MiB argon2 block is 4,864 pages)`);
  for (const name of ['api', 'apiMainThread', 'postgres', 'bench'] as const) {
    console.log(`CPU per sign-in, ${name.padEnd(13)}: ${((1000 * (after[name] - beforeTotals[name])) / TICKS_PER_SECOND / result.requests).toFixed(2)} ms`);
  }
  // The bench process's figure includes starting the load's worker thread; the load thread's own CPU during the load does not.
  if (result.loadCpuMs !== null) console.log(`CPU per sign-in, load thread  : ${(result.loadCpuMs / result.requests).toFixed(2)} ms`);
  const byTitle = new Map<string, number>();
  for (const [pid, ticks] of afterGroups.postgres) {
    const title = titleOf(pid).replace(/\d+\.\d+\.\d+\.\d+\(\d+\)/, 'client').replace(/phr_\w+/, 'db');
    byTitle.set(title, (byTitle.get(title) ?? 0) + ticks - (before.postgres.get(pid) ?? 0));
  }
  for (const [title, ticks] of [...byTitle].sort((a, b) => b[1] - a[1])) console.log(`  PostgreSQL ${((1000 * ticks) / TICKS_PER_SECOND / result.requests).toFixed(2)} ms: ${title}`);
  console.log('');
  await printTopStatements(admin, result.requests, 'sign-in', 25);
  const nested = await admin.query<{ calls: string; exec_ms: string; query: string }>(
    `SELECT calls, round(total_exec_time::numeric / calls, 3) AS exec_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements WHERE NOT toplevel AND calls >= $1 / 2 ORDER BY total_exec_time DESC LIMIT 15`,
    [result.requests],
  );
  console.log('\nInside functions and triggers: calls, execution ms per call');
  for (const row of nested.rows) console.log(`${row.calls.padStart(6)} ${row.exec_ms.padStart(7)}  ${row.query}`);
  await admin.end();
} finally {
  await profiled.stop();
}
const profile = apiProfilesSince(profiled.startedAt).at(-1);
console.log(`API profile: ${profile ?? 'none written'}`);
if (profile) summarizeProfile(profile);

function cpuOf(pids: number[]): number {
  return sumTicks(ticksOf(pids));
}
