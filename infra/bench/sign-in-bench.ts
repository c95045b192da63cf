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
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median } from './load.js';
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
  const baseline = await startBaseline();
  try {
    const rows: ApiBenchRow[] = [];
    for (const connections of CONCURRENCIES) {
      const signIns: number[] = [];
      const verifies: number[] = [];
      const p99s: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const product = async () => {
          const result = await measureLoad({ url, requests, connections, seconds: SECONDS, expectStatus: 200 });
          signIns.push(result.perSecond);
          p99s.push(result.p99Ms);
        };
        const alone = async () => verifies.push(await baseline.run(connections, SECONDS));
        for (const step of round % 2 ? [alone, product] : [product, alone]) await step();
      }
      const [value, base] = [median(signIns), median(verifies)];
      rows.push({
        measure: `POST /auth/login, ${connections} callers, ${ACCOUNTS} accounts (median of ${ROUNDS} interleaved ${SECONDS}-s runs)`,
        value: `${value.toFixed(0)} sign-ins/s (p99 ${median(p99s).toFixed(0)} ms)`,
        baseline: `${base.toFixed(0)} argon2id verifications/s alone (PasswordHasher, own process, UV_THREADPOOL_SIZE=${THREAD_POOL_SIZE})`,
        ratio: `${(value / base).toFixed(2)}× the throughput`,
      });
    }
    return rows;
  } finally {
    baseline.stop();
  }
}

interface Baseline {
  run(connections: number, seconds: number): Promise<number>;
  stop(): void;
}

async function startBaseline(): Promise<Baseline> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./argon2-verify-process.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, UV_THREADPOOL_SIZE: THREAD_POOL_SIZE },
  });
  const next = () =>
    new Promise<{ ready?: boolean; perSecond?: number; error?: string }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { perSecond?: number; error?: string }));
      child.once('exit', (code) => reject(new Error(`the argon2 baseline process exited with ${code}`)));
    });
  await next();
  return {
    async run(connections, seconds) {
      const answer = next();
      child.send({ connections, seconds });
      const { perSecond, error } = await answer;
      if (error || perSecond === undefined) throw new Error(`the argon2 baseline failed: ${error}`);
      return perSecond;
    },
    stop: () => child.kill(),
  };
}
