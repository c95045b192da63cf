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
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { measureLoad, median } from '../load.js';
import { sharedRecord } from '../read-bench.js';
import { checkoutsOf, measureOn, startCheckoutStack, type CheckoutStack, type CpuPerRequest } from './checkout-stacks.js';

const checkouts = checkoutsOf('read-ab.ts <checkout A> <checkout B> [rounds] [seconds] [connections]');
const ROUNDS = Number(process.argv[4] ?? 8);
const SECONDS = Number(process.argv[5] ?? 5);
const CONNECTIONS = Number(process.argv[6] ?? 16);
const PATIENTS = 40;

type Run = CpuPerRequest & { rate: number };

const sides: Array<CheckoutStack & { requests: Array<{ url: string; headers: Record<string, string> }>; runs: Run[] }> = [];
try {
  for (const [i, checkout] of checkouts.entries()) {
    const extra = JSON.parse(process.env[i ? 'READ_AB_ENV_B' : 'READ_AB_ENV_A'] ?? '{}') as Record<string, string>;
    const side = await startCheckoutStack(checkout, 'readab', extra);
    // Pushed before its data is made, so that a failure below still stops its stack.
    const requests: Array<{ url: string; headers: Record<string, string> }> = [];
    sides.push({ ...side, requests, runs: [] });
    const doctor = await registerUser(side.api, 'doctor');
    const headers = { authorization: `Bearer ${doctor.token}` };
    for (let p = 0; p < PATIENTS; p++) {
      const { recordId } = await sharedRecord(side.api, doctor);
      requests.push({ url: `${side.api.baseUrl}${API_PREFIX}${pathOf(ROUTES.getRecord, { id: recordId })}`, headers });
    }
  }
  const load = (side: (typeof sides)[number], seconds: number) => () => measureLoad({ url: '', requests: side.requests, connections: CONNECTIONS, seconds, expectStatus: 200, lean: true });
  for (const side of sides) await load(side, 3)();
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) {
      const { result, cpu } = await measureOn(side, load(side, SECONDS));
      side.runs.push({ ...cpu, rate: result.requests / SECONDS });
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
