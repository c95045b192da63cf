/**
 * POST /auth/register/start for an address with an account against one
 * without: the answer must not tell them apart, in content (a test) or in time
 * (measured here, never asserted in a test).
 */
import { randomBytes } from 'node:crypto';
import { ROUTES } from '@phr/shared-types';
import { createRouteClient } from '@phr/api-client';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';

export interface ApiBenchRow {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  /** The aim for this row, when it has one (printed beside the ratio). */
  goal?: string;
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
