/**
 * The cost of the API's checks on a doctor's read (issue 5): GET /records/:id
 * (JWT, roles, consent through RLS, wrap, audit row in the same transaction,
 * pre-signed URL) against a bare Fastify route doing one primary-key SELECT
 * on the same database, both driven by the same client loop in the same run.
 * And POST /auth/register/start for an address with an account against one
 * without: the answer must not tell them apart, in content (a test) or in time
 * (measured here, never asserted in a test).
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { API_PREFIX, DOCTOR_WRAP_BYTES, ROUTES } from '@phr/shared-types';
import { createRouteClient, pathOf } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { uploadRecord } from '@phr/backend/test-support/records.js';
import { withDatabase } from '../local/postgres.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';

export interface ApiBenchRow {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
}

const SECONDS = 10;
const CONCURRENCY = 16;

/** Requests per second a fixed number of concurrent callers get from `url` over `SECONDS`. */
async function requestsPerSecond(url: string, headers: Record<string, string>, expectStatus: number): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  const caller = async () => {
    while (Date.now() < end) {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.status !== expectStatus) throw new Error(`${url} answered ${response.status}`);
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  return done / ((Date.now() - started) / 1000);
}

export async function doctorReadBench(stack: RunningStack, database: string): Promise<ApiBenchRow[]> {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const patient = await registerUser(api);
  const doctor = await registerUser(api, 'doctor');
  const { summary } = await uploadRecord(patient);
  const wraps = [{ recordId: summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
  const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'record', recordId: summary.id, wraps } });
  if (granted.status !== 201) throw new Error(`consent failed: ${granted.status} ${granted.text}`);

  // The baseline: the same database, one primary-key SELECT, no checks at all.
  const pool = new pg.Pool({ connectionString: withDatabase(stack.databaseAdminUrl, database), max: 10 });
  const bare = Fastify();
  bare.get<{ Params: { id: string } }>('/records/:id', async (request) => (await pool.query('SELECT * FROM records WHERE id = $1', [request.params.id])).rows[0]);
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  try {
    const baseline = await requestsPerSecond(`${bareUrl}/records/${summary.id}`, {}, 200);
    const api = await requestsPerSecond(`${stack.apiUrl}${API_PREFIX}${pathOf(ROUTES.getRecord, { id: summary.id })}`, { authorization: `Bearer ${doctor.token}` }, 200);
    return [
      {
        measure: `Doctor's GET /records/:id (${CONCURRENCY} concurrent callers, ${SECONDS} s each)`,
        value: `${api.toFixed(0)} req/s (JWT, roles, consent via RLS, wrap, audit row, pre-signed URL)`,
        baseline: `${baseline.toFixed(0)} req/s bare Fastify, one primary-key SELECT`,
        ratio: `${(api / baseline).toFixed(2)}× the throughput`,
      },
    ];
  } finally {
    await bare.close();
    await pool.end();
  }
}

const REGISTRATION_PAIRS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Registration starts for a taken and a new address, in pairs back to back
 * with alternating order (a change in the machine's load hits both alike).
 * The baseline is the new address; the ratio should stay near 1.
 */
export async function registrationStartBench(stack: RunningStack): Promise<ApiBenchRow[]> {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const owners = [await registerUser(api), await registerUser(api), await registerUser(api)];
  const timed = async (email: string) => {
    const began = performance.now();
    const response = await createRouteClient({ baseUrl: stack.apiUrl }).send(ROUTES.startRegistration, { body: { email } });
    if (response.status !== 202) throw new Error(`registration start answered ${response.status}`);
    return performance.now() - began;
  };
  const times = { fresh: [] as number[], taken: [] as number[] };
  for (let i = 0; i < REGISTRATION_PAIRS; i++) {
    const order = i % 2 ? (['taken', 'fresh'] as const) : (['fresh', 'taken'] as const);
    for (const kind of order) {
      times[kind].push(await timed(kind === 'fresh' ? `bench-${randomBytes(6).toString('hex')}@example.test` : owners[i % owners.length].request.email));
    }
  }
  const [fresh, taken] = [median(times.fresh), median(times.taken)];
  return [
    {
      measure: `POST /auth/register/start, median of ${REGISTRATION_PAIRS} interleaved pairs`,
      value: `${taken.toFixed(1)} ms for an address with an account`,
      baseline: `${fresh.toFixed(1)} ms for a new address`,
      ratio: `${(taken / fresh).toFixed(2)}× the time`,
    },
  ];
}
