/**
 * Sign-in throughput (issue 14): closed-loop POST /auth/login with the right
 * auth key, round robin over ACCOUNTS accounts made beforehand through the API,
 * against the product's own argon2id verification alone (argon2-verify-process.ts:
 * the same PasswordHasher, parameters and library, in a process of its own with
 * the API's libuv thread pool size), at the same number of callers. Product and
 * baseline take turns (order alternating) ROUNDS times per concurrency; the
 * rows give the medians and their ratio. A sign-in can be no faster than its
 * verification, so the ratio says how much the rest (HTTP, throttle, session,
 * audit row, commit) costs on top.
 *
 * On Linux a second row per concurrency gives the CPU each side spent per operation (/proc):
 * per sign-in the API's (its main thread apart), PostgreSQL's server processes of the stack's
 * database and the load generator's thread; per verification the baseline process's. On two
 * busy cores throughput is CPU, so their quotient is the ratio the CPU allows, a figure that
 * hardly moves with what else runs on the machine, while rates do.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median } from './load.js';
import { cpuMsOf, listenerPid, serverCpu, totalCpu, type CpuPerOperation } from './process-cpu.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';
import type { ApiBenchRow } from './api-bench.js';

const ACCOUNTS = 24;
const CONCURRENCIES = [4, 16];
const ROUNDS = 3;
const SECONDS = 5;

/** The API's libuv thread pool (argon2 runs there): the stack starts the API without UV_THREADPOOL_SIZE, so Node's default. */
const THREAD_POOL_SIZE = '4';

export async function signInBench(stack: RunningStack): Promise<ApiBenchRow[]> {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const accounts = [];
  for (let i = 0; i < ACCOUNTS; i++) accounts.push(await registerUser(api));
  const url = `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.login, {})}`;
  const requests = accounts.map((account) => ({ url, method: 'POST' as const, body: { email: account.request.email, authKey: account.request.authKey } }));
  const cpu = productCpu(stack);
  const baseline = await startBaseline();
  try {
    const rows: ApiBenchRow[] = [];
    for (const connections of CONCURRENCIES) {
      const signIns: number[] = [];
      const verifies: number[] = [];
      const p99s: number[] = [];
      const signInCpu: CpuPerOperation[] = [];
      const verifyCpu: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const product = async () => {
          const before = cpu.read();
          const result = await measureLoad({ url, requests, connections, seconds: SECONDS, expectStatus: 200, lean: true });
          signIns.push(result.perSecond);
          p99s.push(result.p99Ms);
          const spent = cpu.since(before, result.loadCpuMs, result.requests);
          if (spent) signInCpu.push(spent);
        };
        const alone = async () => {
          const before = cpuMsOf(baseline.pid);
          const { perSecond, verifications } = await baseline.run(connections, SECONDS);
          verifies.push(perSecond);
          const after = cpuMsOf(baseline.pid);
          if (before !== null && after !== null) verifyCpu.push((after - before) / verifications);
        };
        for (const step of round % 2 ? [alone, product] : [product, alone]) await step();
      }
      const [value, base] = [median(signIns), median(verifies)];
      rows.push({
        measure: `POST /auth/login, ${connections} callers, ${ACCOUNTS} accounts (median of ${ROUNDS} interleaved ${SECONDS}-s runs)`,
        value: `${value.toFixed(0)} sign-ins/s (p99 ${median(p99s).toFixed(0)} ms)`,
        baseline: `${base.toFixed(0)} argon2id verifications/s alone (PasswordHasher, own process, UV_THREADPOOL_SIZE=${THREAD_POOL_SIZE})`,
        ratio: `${(value / base).toFixed(2)}× the throughput`,
      });
      if (signInCpu.length === ROUNDS && verifyCpu.length === ROUNDS) rows.push(cpuRow(connections, signInCpu, median(verifyCpu)));
    }
    return rows;
  } finally {
    baseline.stop();
  }
}

function cpuRow(connections: number, runs: CpuPerOperation[], verification: number): ApiBenchRow {
  const of = (part: keyof CpuPerOperation) => median(runs.map((run) => run[part]));
  const total = median(runs.map(totalCpu));
  return {
    measure: `CPU per sign-in, ${connections} callers (/proc, medians of the same runs)`,
    value: `${total.toFixed(2)} ms: API ${of('server').toFixed(2)} (main thread ${of('serverMainThread').toFixed(2)}), PostgreSQL ${of('postgres').toFixed(2)}, load generator ${of('load').toFixed(2)}`,
    baseline: `${verification.toFixed(2)} ms per argon2id verification alone`,
    ratio: `${(verification / total).toFixed(2)}× allowed by the CPU`,
  };
}

/** Readings of the API process and PostgreSQL's processes serving the stack's database. */
function productCpu(stack: RunningStack) {
  const database = new URL(stack.databaseOwnerUrl).pathname.slice(1);
  return serverCpu(listenerPid(Number(new URL(stack.apiUrl).port)), listenerPid(Number(new URL(stack.databaseAdminUrl).port)), database);
}

interface Baseline {
  pid: number;
  run(connections: number, seconds: number): Promise<{ perSecond: number; verifications: number }>;
  stop(): void;
}

async function startBaseline(): Promise<Baseline> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./argon2-verify-process.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, UV_THREADPOOL_SIZE: THREAD_POOL_SIZE },
  });
  const next = () =>
    new Promise<{ ready?: boolean; perSecond?: number; verifications?: number; error?: string }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { perSecond?: number; verifications?: number; error?: string }));
      child.once('exit', (code) => reject(new Error(`the argon2 baseline process exited with ${code}`)));
    });
  await next();
  return {
    pid: child.pid ?? -1,
    async run(connections, seconds) {
      const answer = next();
      child.send({ connections, seconds });
      const { perSecond, verifications, error } = await answer;
      if (error || perSecond === undefined || verifications === undefined) throw new Error(`the argon2 baseline failed: ${error}`);
      return { perSecond, verifications };
    },
    stop: () => child.kill(),
  };
}
