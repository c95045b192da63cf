/**
 * Where a doctor's read's CPU goes (issue 14): starts the product as the bench does (the API
 * under cpu-profile-preload.mjs, PostgreSQL with pg_stat_statements), makes PATIENTS records
 * shared with one doctor, then takes turns, ROUNDS times, between the product's GET
 * /records/:id and the bench's bare Fastify + pg baseline (read-baseline.ts) under the same
 * closed loop, and prints the CPU each side's processes spent per read (from /proc: the API or
 * the baseline, PostgreSQL's server processes, this process with its load worker), then the
 * product's statements (its last run) and the API's V8 profile summary (the product's runs; the API
 * idles during the baseline's). Usage:
 *   node --import tsx infra/bench/profile/profile-read.ts [seconds] [connections] [rounds]
 * Needs Linux (/proc, ss). Not a benchmark: CPU per read is the figure to compare; rates
 * vary with the machine's other load.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median, type LoadResult } from '../load.js';
import { sharedRecord, startBaseline, type ReadTarget } from '../read-bench.js';
import { loadOrCreateSecrets } from '../../local/local-secrets.js';
import { stackMailbox } from '../../local/stack.js';
import { childrenOf, msPerOperation, requireListenerPid, sumTicks, ticksOf } from '../process-cpu.js';
import { apiProfilesSince, startProfiledProduct, summarizeProfile } from './profiled-stack.js';

const SECONDS = Number(process.argv[2] ?? 5);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const ROUNDS = Number(process.argv[4] ?? 3);
const PATIENTS = 40;
const PERF = process.env.PHR_PROFILE_PERF === '1';
/** The bench's lean load (load.ts); PHR_PROFILE_LEAN=0: node:http's client. */
const LEAN = process.env.PHR_PROFILE_LEAN !== '0';
const profiled = await startProfiledProduct(process.env.PHR_PROFILE_NODE_ARGS ?? '');
const { product } = profiled;
const { stack, workDir } = product;
let baseline: Awaited<ReturnType<typeof startBaseline>> | null = null;
try {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const doctor = await registerUser(api, 'doctor');
  const targets: ReadTarget[] = [];
  for (let i = 0; i < PATIENTS; i++) targets.push(await sharedRecord(api, doctor));
  const secrets = await loadOrCreateSecrets(path.join(workDir, 'data'));
  baseline = await startBaseline(stack.databaseOwnerUrl, secrets.jwtSecret);
  const headers = { authorization: `Bearer ${doctor.token}` };
  const requestsOf = (base: string) => targets.map((target) => ({ url: `${base}${pathOf(ROUTES.getRecord, { id: target.recordId })}`, headers }));
  const sides = {
    product: { requests: requestsOf(`${stack.apiUrl}${API_PREFIX}`), pid: requireListenerPid(Number(new URL(stack.apiUrl).port)) },
    baseline: { requests: requestsOf(baseline.url), pid: requireListenerPid(Number(new URL(baseline.url).port)) },
  };
  for (const side of Object.values(sides)) await measureLoad({ url: '', requests: side.requests, connections: CONNECTIONS, seconds: 2, expectStatus: 200, lean: LEAN });

  const postgresPid = requireListenerPid(Number(new URL(stack.databaseAdminUrl).port));
  const admin = new pg.Client({ connectionString: stack.databaseOwnerUrl.replace(/\/\/[^@]+@/, '//postgres:profile@') });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const perRead = { product: [] as Record<string, number>[], baseline: [] as Record<string, number>[] };
  const results = { product: [] as LoadResult[], baseline: [] as LoadResult[] };
  const perfFiles = new Map<string, string>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? (['baseline', 'product'] as const) : (['product', 'baseline'] as const)) {
      const side = sides[name];
      if (name === 'product') {
        await admin.query('SELECT pg_stat_statements_reset()');
        // One profile over every product run (a restart would stop and serialise the last one inside the next).
        if (round === 0) process.kill(side.pid, 'SIGWINCH');
      }
      const groups = () => ({ server: sumTicks(ticksOf([side.pid])), postgres: ticksOf([postgresPid, ...childrenOf(postgresPid)]), load: sumTicks(ticksOf([process.pid])) });
      const before = groups();
      // PHR_PROFILE_PERF=1: on-CPU samples of PostgreSQL's processes during each side's last run.
      const perf = PERF && round >= ROUNDS - 2 ? recordPerf([postgresPid, ...childrenOf(postgresPid)], `${name}-postgres`) : null;
      const result = await measureLoad({ url: '', requests: side.requests, connections: CONNECTIONS, seconds: SECONDS, expectStatus: 200, lean: LEAN });
      if (perf) perfFiles.set(name, await perf);
      const after = groups();
      // PostgreSQL's server processes are counted by pid on both sides, so a connection opened during the load counts in full.
      const postgresTicks = [...after.postgres].reduce((acc, [pid, ticks]) => acc + ticks - (before.postgres.get(pid) ?? 0), 0);
      perRead[name].push({ server: msPerOperation(after.server - before.server, result.requests), postgres: msPerOperation(postgresTicks, result.requests), load: msPerOperation(after.load - before.load, result.requests) });
      results[name].push(result);
      console.log(`${name.padEnd(8)} ${result.perSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(1)} ms; CPU per read: server ${perRead[name].at(-1)?.server.toFixed(2)} ms, PostgreSQL ${perRead[name].at(-1)?.postgres.toFixed(2)} ms, load ${perRead[name].at(-1)?.load.toFixed(2)} ms; load average ${os.loadavg()[0].toFixed(2)}`);
    }
  }
  for (const [name, file] of perfFiles) {
    console.log(`\n${name}'s PostgreSQL on the CPU (perf report -i ${file}): share of samples by function`);
    console.log(execFileSync('perf', ['report', '-i', file, '--no-children', '--sort', 'sym', '--stdio', '--percent-limit', '1'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').filter((line) => /%/.test(line)).slice(0, 30).join('\n'));
  }
  for (const name of ['product', 'baseline'] as const) {
    const of = (key: string) => median(perRead[name].map((figures) => figures[key])).toFixed(2);
    console.log(`median ${name.padEnd(8)} ${median(results[name].map((r) => r.perSecond)).toFixed(0)} req/s; CPU per read: server ${of('server')} ms, PostgreSQL ${of('postgres')} ms, load ${of('load')} ms`);
  }
  const statements = await admin.query<{ calls: string; plan_ms: string; exec_ms: string; query: string }>(
    `SELECT calls, round(total_plan_time::numeric / calls, 3) AS plan_ms, round(total_exec_time::numeric / calls, 3) AS exec_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements WHERE calls > 100 ORDER BY total_plan_time + total_exec_time DESC LIMIT 15`,
  );
  console.log('\nPostgreSQL statements of the last product run: calls, plan ms and execution ms per call');
  for (const row of statements.rows) console.log(`${row.calls.padStart(6)} ${row.plan_ms.padStart(7)} ${row.exec_ms.padStart(7)}  ${row.query}`);
  await admin.end();
} finally {
  await baseline?.stop();
  await profiled.stop();
}
const profile = apiProfilesSince(profiled.startedAt).at(-1);
console.log(`API profile: ${profile ?? 'none written'}`);
if (profile) summarizeProfile(profile, ['--drop', 'writev,writeBuffer']);

/** `perf record` of the given processes for the run's length; resolves with the data file. */
function recordPerf(pids: number[], label: string): Promise<string> {
  const file = path.join(os.tmpdir(), `phr-profile-${process.pid}-${label}.perf.data`);
  const perf = spawn('perf', ['record', '-F', '999', '-o', file, '-p', pids.join(','), '--', 'sleep', String(SECONDS - 1)], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    perf.once('error', reject);
    perf.once('exit', () => resolve(file));
  });
}
