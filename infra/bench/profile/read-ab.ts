/**
 * CPU per doctor's read of two checkouts of the product, interleaved (issue 14), as sign-in-ab.ts
 * does for the sign-in: each checkout's whole stack starts from its own folder (own PostgreSQL,
 * own build), a doctor and PATIENTS records shared with them are made in each, both stacks stay
 * up, and the lean load at CONNECTIONS connections reads the records from one and then the other
 * for SECONDS, order alternating, ROUNDS times. Prints each round and the medians: the rate, and
 * CPU per read of the API (its main thread apart), PostgreSQL's backends of the stack's database
 * and the load thread, from /proc. Usage (Linux):
 *   node --import tsx infra/bench/profile/read-ab.ts <checkout A> <checkout B> [rounds] [seconds] [connections]
 * A checkout needs its dependencies installed and shared-types and api-client built.
 * READ_AB_ENV_A / READ_AB_ENV_B (JSON objects) add settings to one side's API, to compare two
 * settings of one checkout (e.g. '{"DATABASE_POOL_SIZE":"16"}').
 */
import os from 'node:os';
import path from 'node:path';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median } from '../load.js';
import { backendsOf, cpuMsOf, cpuReading, listenerPid } from '../process-cpu.js';
import { sharedRecord } from '../read-bench.js';
import { stackMailbox } from '../../local/stack.js';
import type { ThrowawayStack } from '../../local/throwaway-stack.js';

const [checkoutA, checkoutB] = process.argv.slice(2, 4).map((folder) => path.resolve(folder));
if (!checkoutA || !checkoutB) throw new Error('usage: read-ab.ts <checkout A> <checkout B> [rounds] [seconds] [connections]');
const ROUNDS = Number(process.argv[4] ?? 8);
const SECONDS = Number(process.argv[5] ?? 5);
const CONNECTIONS = Number(process.argv[6] ?? 16);
const PATIENTS = 40;
const UNLIMITED = { RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_REGISTRATIONS: '10000000', RATE_LIMIT_REGISTRATION_MAILS: '10000000' };

interface Run {
  rate: number;
  api: number;
  apiMainThread: number;
  postgres: number;
  load: number;
}

const sides: Array<{ name: string; product: ThrowawayStack; requests: Array<{ url: string; headers: Record<string, string> }>; apiPid: number; postgres: ReturnType<typeof cpuReading>; runs: Run[] }> = [];
try {
  for (const [i, checkout] of [checkoutA, checkoutB].entries()) {
    const extra = JSON.parse(process.env[i ? 'READ_AB_ENV_B' : 'READ_AB_ENV_A'] ?? '{}') as Record<string, string>;
    // Each checkout starts its own stack with its own code (its build, its migrations).
    // eslint-disable-next-line no-unsanitized/method -- a checkout folder the operator named on the command line
    const { startThrowawayStack } = (await import(path.join(checkout, 'infra/local/throwaway-stack.ts'))) as typeof import('../../local/throwaway-stack.js');
    const product = await startThrowawayStack('readab', { env: { ...UNLIMITED, ...extra }, build: true });
    const { stack } = product;
    const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
    const doctor = await registerUser(api, 'doctor');
    const recordIds: string[] = [];
    for (let i = 0; i < PATIENTS; i++) recordIds.push((await sharedRecord(api, doctor)).recordId);
    const apiPid = listenerPid(Number(new URL(stack.apiUrl).port));
    const postmasterPid = listenerPid(Number(new URL(stack.databaseAdminUrl).port));
    if (apiPid === null || postmasterPid === null) throw new Error('no API or PostgreSQL process found (Linux with ss only)');
    const database = new URL(stack.databaseOwnerUrl).pathname.slice(1);
    const headers = { authorization: `Bearer ${doctor.token}` };
    sides.push({
      name: checkout,
      product,
      requests: recordIds.map((id) => ({ url: `${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.getRecord, { id })}`, headers })),
      apiPid,
      postgres: cpuReading(() => backendsOf(postmasterPid, database)),
      runs: [],
    });
  }
  for (const side of sides) await measureLoad({ url: '', requests: side.requests, connections: CONNECTIONS, seconds: 3, expectStatus: 200, lean: true });
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) {
      const before = { api: cpuMsOf(side.apiPid), apiMainThread: cpuMsOf(side.apiPid, side.apiPid), postgres: side.postgres.read() };
      const result = await measureLoad({ url: '', requests: side.requests, connections: CONNECTIONS, seconds: SECONDS, expectStatus: 200, lean: true });
      const [api, apiMainThread, postgres] = [cpuMsOf(side.apiPid), cpuMsOf(side.apiPid, side.apiPid), side.postgres.since(before.postgres)];
      if (api === null || apiMainThread === null || postgres === null || before.api === null || before.apiMainThread === null || result.loadCpuMs === null) throw new Error('/proc could not tell');
      const n = result.requests;
      side.runs.push({ rate: n / SECONDS, api: (api - before.api) / n, apiMainThread: (apiMainThread - before.apiMainThread) / n, postgres: postgres / n, load: result.loadCpuMs / n });
    }
    const shown = sides.map(({ runs }) => `${runs[round].rate.toFixed(0)}/s, API ${runs[round].api.toFixed(3)} (main ${runs[round].apiMainThread.toFixed(3)}), PostgreSQL ${runs[round].postgres.toFixed(3)}`);
    console.log(`round ${round + 1}: A ${shown[0]} | B ${shown[1]}; load ${os.loadavg()[0].toFixed(1)}`);
  }
  for (const [i, side] of sides.entries()) {
    const of = (part: keyof Run, digits = 3) => median(side.runs.map((run) => run[part])).toFixed(digits);
    const total = median(side.runs.map((run) => run.api + run.postgres + run.load));
    console.log(`${i ? 'B' : 'A'} ${side.name}: ${of('rate', 0)} reads/s; per read API ${of('api')} ms (main thread ${of('apiMainThread')}), PostgreSQL ${of('postgres')}, load thread ${of('load')}; total ${total.toFixed(3)} ms`);
  }
} finally {
  for (const side of sides) await side.product.stop();
}
