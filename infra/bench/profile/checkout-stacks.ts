/**
 * What the A/B scripts share (sign-in-ab.ts, read-ab.ts): two checkouts named on the command
 * line, each one's whole stack started from its own folder (its own build, its migrations, its
 * PostgreSQL), and the CPU a load costs each side per request, from /proc. Linux only (/proc, ss).
 */
import path from 'node:path';
import type { LoadResult } from '../load.js';
import { backendsOf, cpuMsOf, cpuReading, listenerPid } from '../process-cpu.js';
import { stackMailbox } from '../../local/stack.js';
import type { ThrowawayStack } from '../../local/throwaway-stack.js';

/** Limits high enough that no load of a comparison is refused. */
export const UNLIMITED = { RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_REGISTRATIONS: '10000000', RATE_LIMIT_REGISTRATION_MAILS: '10000000' };

/** The two checkout folders of the command line (its first two arguments), resolved; `usage` when either is missing. */
export function checkoutsOf(usage: string): [string, string] {
  const [a, b] = process.argv.slice(2, 4).map((folder) => path.resolve(folder));
  if (!a || !b) throw new Error(`usage: ${usage}`);
  return [a, b];
}

export interface CheckoutStack {
  name: string;
  product: ThrowawayStack;
  /** What the test factories take to make accounts and records in this stack. */
  api: { baseUrl: string; mail: ReturnType<typeof stackMailbox>; ownerUrl: string };
  apiPid: number;
  /** The CPU of PostgreSQL's backends of this stack's database. */
  postgres: ReturnType<typeof cpuReading>;
}

/** Starts `checkout`'s own stack with its own code, `env` added to its settings. */
export async function startCheckoutStack(checkout: string, name: string, env: Record<string, string>): Promise<CheckoutStack> {
  // eslint-disable-next-line no-unsanitized/method -- a checkout folder the operator named on the command line
  const { startThrowawayStack } = (await import(path.join(checkout, 'infra/local/throwaway-stack.ts'))) as typeof import('../../local/throwaway-stack.js');
  const product = await startThrowawayStack(name, { env: { ...UNLIMITED, ...env }, build: true });
  const { stack } = product;
  const apiPid = listenerPid(Number(new URL(stack.apiUrl).port));
  const postmasterPid = listenerPid(Number(new URL(stack.databaseAdminUrl).port));
  if (apiPid === null || postmasterPid === null) {
    await product.stop();
    throw new Error('no API or PostgreSQL process found (Linux with ss only)');
  }
  const database = new URL(stack.databaseOwnerUrl).pathname.slice(1);
  return {
    name: checkout,
    product,
    api: { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl },
    apiPid,
    postgres: cpuReading(() => backendsOf(postmasterPid, database)),
  };
}

/** CPU per request of one load, in ms: the API (its main thread apart), PostgreSQL's backends, the load's thread. */
export interface CpuPerRequest {
  api: number;
  apiMainThread: number;
  postgres: number;
  load: number;
}

/** Runs `load` against `side` and answers its figures with the CPU per request it cost. */
export async function measureOn(side: CheckoutStack, load: () => Promise<LoadResult>): Promise<{ result: LoadResult; cpu: CpuPerRequest }> {
  const before = { api: cpuMsOf(side.apiPid), apiMainThread: cpuMsOf(side.apiPid, side.apiPid), postgres: side.postgres.read() };
  const result = await load();
  const [api, apiMainThread, postgres] = [cpuMsOf(side.apiPid), cpuMsOf(side.apiPid, side.apiPid), side.postgres.since(before.postgres)];
  if (api === null || apiMainThread === null || postgres === null || before.api === null || before.apiMainThread === null || result.loadCpuMs === null) throw new Error('/proc could not tell');
  const n = result.requests;
  return { result, cpu: { api: (api - before.api) / n, apiMainThread: (apiMainThread - before.apiMainThread) / n, postgres: postgres / n, load: result.loadCpuMs / n } };
}
