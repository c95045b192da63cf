/**
 * CPU per sign-in of two checkouts of the product, interleaved (issue 14): each checkout's
 * whole stack starts from its own folder (own PostgreSQL, own build), both stay up, and the lean
 * load at CALLERS callers goes to one and then the other for SECONDS, order alternating, ROUNDS
 * times, with the argon2id baseline (argon2-verify-process.ts) for SECONDS in each round. Prints
 * each round and the medians: CPU per sign-in of the API (its main thread apart), PostgreSQL's
 * backends of the stack's database and the load thread, from /proc as the sign-in bench reads
 * it, and argon2id's CPU per verification alone. Interleaving is what makes two checkouts
 * comparable while other work on the machine comes and goes. Usage (Linux):
 *   node --import tsx infra/bench/profile/sign-in-ab.ts <checkout A> <checkout B> [rounds] [seconds] [callers]
 * A checkout needs its dependencies installed and shared-types and api-client built.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median } from '../load.js';
import { backendsOf, cpuMsOf, cpuReading, listenerPid } from '../process-cpu.js';
import { stackMailbox } from '../../local/stack.js';
import type { ThrowawayStack } from '../../local/throwaway-stack.js';

const [checkoutA, checkoutB] = process.argv.slice(2, 4).map((folder) => path.resolve(folder));
if (!checkoutA || !checkoutB) throw new Error('usage: sign-in-ab.ts <checkout A> <checkout B> [rounds] [seconds] [callers]');
const ROUNDS = Number(process.argv[4] ?? 8);
const SECONDS = Number(process.argv[5] ?? 6);
const CALLERS = Number(process.argv[6] ?? 16);
const ACCOUNTS = 24;
const UNLIMITED = { RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_REGISTRATIONS: '10000000', RATE_LIMIT_REGISTRATION_MAILS: '10000000' };

interface Run {
  api: number;
  apiMainThread: number;
  postgres: number;
  load: number;
}

const sides: Array<{ name: string; product: ThrowawayStack; requests: Array<{ url: string; method: 'POST'; body: unknown }>; apiPid: number; postgres: ReturnType<typeof cpuReading>; runs: Run[] }> = [];
const baseline = fork(fileURLToPath(new URL('../argon2-verify-process.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
const answer = () => new Promise<{ verifications?: number }>((resolve) => baseline.once('message', resolve));
const verifyCpu: number[] = [];
try {
  for (const checkout of [checkoutA, checkoutB]) {
    // Each checkout starts its own stack with its own code (its build, its migrations).
    // eslint-disable-next-line no-unsanitized/method -- a checkout folder the operator named on the command line
    const { startThrowawayStack } = (await import(path.join(checkout, 'infra/local/throwaway-stack.ts'))) as typeof import('../../local/throwaway-stack.js');
    const product = await startThrowawayStack('signinab', { env: UNLIMITED, build: true });
    const { stack } = product;
    const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
    const accounts = [];
    for (let i = 0; i < ACCOUNTS; i++) accounts.push(await registerUser(api));
    const url = `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.login, {})}`;
    const apiPid = listenerPid(Number(new URL(stack.apiUrl).port));
    const postmasterPid = listenerPid(Number(new URL(stack.databaseAdminUrl).port));
    if (apiPid === null || postmasterPid === null) throw new Error('no API or PostgreSQL process found (Linux with ss only)');
    const database = new URL(stack.databaseOwnerUrl).pathname.slice(1);
    sides.push({
      name: checkout,
      product,
      requests: accounts.map((account) => ({ url, method: 'POST' as const, body: { email: account.request.email, authKey: account.request.authKey } })),
      apiPid,
      postgres: cpuReading(() => backendsOf(postmasterPid, database)),
      runs: [],
    });
  }
  await answer();
  for (const side of sides) await measureLoad({ url: '', requests: side.requests, connections: CALLERS, seconds: 3, expectStatus: 200, lean: true });
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) {
      const before = { api: cpuMsOf(side.apiPid), apiMainThread: cpuMsOf(side.apiPid, side.apiPid), postgres: side.postgres.read() };
      const result = await measureLoad({ url: '', requests: side.requests, connections: CALLERS, seconds: SECONDS, expectStatus: 200, lean: true });
      const [api, apiMainThread, postgres] = [cpuMsOf(side.apiPid), cpuMsOf(side.apiPid, side.apiPid), side.postgres.since(before.postgres)];
      if (api === null || apiMainThread === null || postgres === null || before.api === null || before.apiMainThread === null || result.loadCpuMs === null) throw new Error('/proc could not tell');
      const n = result.requests;
      side.runs.push({ api: (api - before.api) / n, apiMainThread: (apiMainThread - before.apiMainThread) / n, postgres: postgres / n, load: result.loadCpuMs / n });
    }
    const before = cpuMsOf(baseline.pid ?? -1);
    const done = answer();
    baseline.send({ connections: CALLERS, seconds: SECONDS });
    const { verifications } = await done;
    const after = cpuMsOf(baseline.pid ?? -1);
    if (before === null || after === null || !verifications) throw new Error('the argon2 baseline failed');
    verifyCpu.push((after - before) / verifications);
    const shown = sides.map(({ runs }) => `main thread ${runs[round].apiMainThread.toFixed(2)}, PostgreSQL ${runs[round].postgres.toFixed(2)}, API ${runs[round].api.toFixed(2)}`);
    console.log(`round ${round + 1}: A ${shown[0]} | B ${shown[1]} | argon2id alone ${verifyCpu[round].toFixed(2)} ms; load ${os.loadavg()[0].toFixed(1)}`);
  }
  const argon2 = median(verifyCpu);
  for (const [i, side] of sides.entries()) {
    const of = (part: keyof Run) => median(side.runs.map((run) => run[part])).toFixed(2);
    const total = median(side.runs.map((run) => run.api + run.postgres + run.load));
    console.log(
      `${i ? 'B' : 'A'} ${side.name}: per sign-in API ${of('api')} ms (main thread ${of('apiMainThread')}), PostgreSQL ${of('postgres')}, load thread ${of('load')}; ` +
        `total ${total.toFixed(2)} ms against argon2id alone ${argon2.toFixed(2)} ms: ${(argon2 / total).toFixed(2)}× allowed by the CPU`,
    );
  }
} finally {
  baseline.kill();
  for (const side of sides) await side.product.stop();
}
