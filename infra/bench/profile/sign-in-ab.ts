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
import { fileURLToPath } from 'node:url';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median } from '../load.js';
import { cpuMsOf } from '../process-cpu.js';
import { checkoutsOf, measureOn, startCheckoutStack, type CheckoutStack, type CpuPerRequest } from './checkout-stacks.js';

const checkouts = checkoutsOf('sign-in-ab.ts <checkout A> <checkout B> [rounds] [seconds] [callers]');
const ROUNDS = Number(process.argv[4] ?? 8);
const SECONDS = Number(process.argv[5] ?? 6);
const CALLERS = Number(process.argv[6] ?? 16);
const ACCOUNTS = 24;

const sides: Array<CheckoutStack & { requests: Array<{ url: string; method: 'POST'; body: unknown }>; runs: CpuPerRequest[] }> = [];
const baseline = fork(fileURLToPath(new URL('../argon2-verify-process.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
const answer = () => new Promise<{ verifications?: number }>((resolve) => baseline.once('message', resolve));
const verifyCpu: number[] = [];
try {
  for (const checkout of checkouts) {
    const side = await startCheckoutStack(checkout, 'signinab', {});
    // Pushed before its accounts are made, so that a failure below still stops its stack.
    const requests: Array<{ url: string; method: 'POST'; body: unknown }> = [];
    sides.push({ ...side, requests, runs: [] });
    const url = `${side.api.baseUrl}${API_PREFIX}${pathOf(ROUTES.login, {})}`;
    for (let i = 0; i < ACCOUNTS; i++) {
      const account = await registerUser(side.api);
      requests.push({ url, method: 'POST', body: { email: account.request.email, authKey: account.request.authKey } });
    }
  }
  await answer();
  const load = (side: (typeof sides)[number], seconds: number) => () => measureLoad({ url: '', requests: side.requests, connections: CALLERS, seconds, expectStatus: 200, lean: true });
  for (const side of sides) await load(side, 3)();
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) side.runs.push((await measureOn(side, load(side, SECONDS))).cpu);
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
    const of = (part: keyof CpuPerRequest) => median(side.runs.map((run) => run[part])).toFixed(2);
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
