/**
 * Where a sign-in's CPU goes (issue 14): starts the product as the bench does, with the API
 * under cpu-profile-preload.mjs, signs in ACCOUNTS accounts round robin from CONNECTIONS
 * callers for SECONDS, and prints the CPU each process spent per sign-in (API, PostgreSQL
 * server processes, this process with its load worker) from /proc, then the API's profile
 * summary (summarize-cpu-profile.ts; the profile covers the measured load only). Usage:
 *   node --import tsx infra/bench/profile/profile-sign-in.ts [seconds] [connections]
 * Needs Linux (/proc, ss). Not a benchmark: figures vary with the machine's other load.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad } from '../load.js';
import { freePort } from '../../local/ports.js';
import { startEmbeddedPostgres } from '../../local/postgres.js';
import { stackMailbox } from '../../local/stack.js';
import { startThrowawayStack } from '../../local/throwaway-stack.js';

const SECONDS = Number(process.argv[2] ?? 15);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const ACCOUNTS = 24;
const preload = fileURLToPath(new URL('./cpu-profile-preload.mjs', import.meta.url));
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

// A PostgreSQL of this run's own, as the bench's, but with pg_stat_statements loaded.
const postgresDir = await mkdtemp(path.join(os.tmpdir(), 'phr-profile-pg-'));
const postgres = await startEmbeddedPostgres({
  dataDir: postgresDir,
  port: await freePort(),
  password: 'profile',
  postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'track_functions=all', '-c', 'pg_stat_statements.track=all', '-c', 'pg_stat_statements.track_planning=on'],
});
process.env.DATABASE_URL = postgres.adminUrl;
const started = Date.now();
const product = await startThrowawayStack('profile', {
  build: process.env.PHR_PROFILE_BUILD !== '0',
  env: {
    RATE_LIMIT_REQUESTS: '10000000',
    RATE_LIMIT_REGISTRATIONS: '10000000',
    RATE_LIMIT_REGISTRATION_MAILS: '10000000',
    // --perf-basic-prof also turns V8's log on, which would land in the working folder (and /dev/null means stdout).
    PHR_API_NODE_ARGS: `--perf-basic-prof --logfile=${path.join(os.tmpdir(), 'phr-api-v8.log')} --no-logfile-per-isolate --import ${preload}`,
  },
});
const { stack } = product;
try {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const accounts = [];
  for (let i = 0; i < ACCOUNTS; i++) accounts.push(await registerUser(api));
  const url = `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.login, {})}`;
  const requests = accounts.map((account) => ({ url, method: 'POST' as const, body: { email: account.request.email, authKey: account.request.authKey } }));
  await measureLoad({ url, requests, connections: CONNECTIONS, seconds: 3, expectStatus: 200, lean: true });

  const apiPid = listenerPid(Number(new URL(stack.apiUrl).port));
  const postgresPid = listenerPid(Number(new URL(stack.databaseAdminUrl).port));
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
  const after = { ...afterGroups, postgres: sum(afterGroups.postgres) };
  const beforeTotals = { ...before, postgres: [...afterGroups.postgres.keys()].reduce((acc, pid) => acc + (before.postgres.get(pid) ?? 0), 0) };
  console.log(`${result.requests} sign-ins in ${SECONDS} s: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`API minor page faults per sign-in: ${((minorFaultsOf(apiPid) - faultsBefore) / result.requests).toFixed(0)} (a 19 MiB argon2 block is 4,864 pages)`);
  for (const name of ['api', 'apiMainThread', 'postgres', 'bench'] as const) {
    console.log(`CPU per sign-in, ${name.padEnd(13)}: ${((1000 * (after[name] - beforeTotals[name])) / TICKS / result.requests).toFixed(2)} ms`);
  }
  // The bench process's figure includes starting the load's worker thread; the load thread's own CPU during the load does not.
  if (result.loadCpuMs !== null) console.log(`CPU per sign-in, load thread  : ${(result.loadCpuMs / result.requests).toFixed(2)} ms`);
  const byTitle = new Map<string, number>();
  for (const [pid, ticks] of afterGroups.postgres) {
    const title = titleOf(pid).replace(/\d+\.\d+\.\d+\.\d+\(\d+\)/, 'client').replace(/phr_\w+/, 'db');
    byTitle.set(title, (byTitle.get(title) ?? 0) + ticks - (before.postgres.get(pid) ?? 0));
  }
  for (const [title, ticks] of [...byTitle].sort((a, b) => b[1] - a[1])) console.log(`  PostgreSQL ${((1000 * ticks) / TICKS / result.requests).toFixed(2)} ms: ${title}`);
  const statements = await admin.query<{ calls: string; ms_per_sign_in: string; plan_ms: string; exec_ms: string; query: string }>(
    `SELECT calls, round((total_plan_time + total_exec_time)::numeric / $1, 3) AS ms_per_sign_in, round(total_plan_time::numeric / calls, 3) AS plan_ms,
            round(total_exec_time::numeric / calls, 3) AS exec_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements WHERE calls >= $1 / 2 AND toplevel ORDER BY total_plan_time + total_exec_time DESC LIMIT 25`,
    [result.requests],
  );
  console.log('\nPostgreSQL statements (pg_stat_statements, top level): calls, ms per sign-in, plan ms and execution ms per call');
  for (const row of statements.rows) console.log(`${row.calls.padStart(6)} ${row.ms_per_sign_in.padStart(7)} ${row.plan_ms.padStart(7)} ${row.exec_ms.padStart(7)}  ${row.query}`);
  const nested = await admin.query<{ calls: string; exec_ms: string; query: string }>(
    `SELECT calls, round(total_exec_time::numeric / calls, 3) AS exec_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements WHERE NOT toplevel AND calls >= $1 / 2 ORDER BY total_exec_time DESC LIMIT 15`,
    [result.requests],
  );
  console.log('\nInside functions and triggers: calls, execution ms per call');
  for (const row of nested.rows) console.log(`${row.calls.padStart(6)} ${row.exec_ms.padStart(7)}  ${row.query}`);
  await admin.end();
} finally {
  await product.stop();
  await postgres.stop();
  await rm(postgresDir, { recursive: true, force: true });
}
const profile = readdirSync(os.tmpdir())
  .filter((name) => name.startsWith('phr-api-') && name.endsWith('.cpuprofile'))
  .map((name) => path.join(os.tmpdir(), name))
  .filter((file) => statSync(file).mtimeMs >= started)
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
console.log(`API profile: ${profile ?? 'none written'}`);
if (profile) execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./summarize-cpu-profile.ts', import.meta.url)), profile], { stdio: 'inherit' });

function listenerPid(port: number): number {
  const line = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString();
  const match = line.match(/pid=(\d+)/);
  if (!match) throw new Error(`no process listens on ${port}`);
  return Number(match[1]);
}

function titleOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '(gone)';
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** utime + stime (clock ticks) of each process, its threads included; exited ones are left out. */
function ticksOf(pids: number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone
    }
  }
  return ticks;
}

/** utime + stime (clock ticks) of a process's main thread. */
function threadTicksOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function minorFaultsOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[7]);
}

function cpuOf(pids: number[]): number {
  return sum(ticksOf(pids));
}

function sum(ticks: Map<number, number>): number {
  return [...ticks.values()].reduce((acc, value) => acc + value, 0);
}
