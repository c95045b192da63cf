/**
 * The faults the soak injects, one at a time, in turn: the API killed
 * (SIGKILL, as a crash or the OOM killer) and started again; the API paused
 * (SIGSTOP, as a long GC pause or a starved VM) then resumed; the object store
 * stopped and started again on its port with its objects; every PostgreSQL
 * connection of the soak's database ended by pg_terminate_backend (a failover
 * or an administrator). Requests cut by a fault are counted apart (stats.ts).
 */
import pg from 'pg';
import type { SoakStack } from './soak-stack.js';
import type { SoakStats } from './stats.js';

export const FAULT_KINDS = ['api-kill', 'pg-terminate', 'api-pause', 'store-restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long a paused API or a stopped store stays so. */
const OUTAGE_MS = 5_000;

export async function injectFault(kind: FaultKind, stack: SoakStack, stats: SoakStats, log: (line: string) => void): Promise<void> {
  const atSeconds = stats.elapsedSeconds();
  const began = performance.now();
  stats.beginFault();
  try {
    if (kind === 'api-kill') {
      await stack.restartApi();
    } else if (kind === 'api-pause') {
      const pid = stack.apiPid();
      if (pid === null) throw new Error('no API process to pause');
      process.kill(pid, 'SIGSTOP');
      await outage();
      process.kill(pid, 'SIGCONT');
    } else if (kind === 'store-restart') {
      await stack.stopStore();
      await outage();
      await stack.startStore();
    } else {
      const ended = await terminateBackends(stack);
      log(`  pg_terminate_backend ended ${ended} connection(s)`);
    }
    await stack.waitForApi();
  } finally {
    stats.endFault();
  }
  const recoverySeconds = (performance.now() - began) / 1000;
  stats.faults.push({ atSeconds, kind, recoverySeconds });
  log(`fault ${kind} at ${atSeconds.toFixed(0)} s: the API answered its health check again after ${recoverySeconds.toFixed(1)} s`);
}

/** Ends every server process of the soak's database (the API's pool), from an administrative session on another database. */
async function terminateBackends(stack: SoakStack): Promise<number> {
  const client = new pg.Client({ connectionString: stack.adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ ended: string }>(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS ended FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [stack.database],
    );
    return Number(rows[0].ended);
  } finally {
    await client.end();
  }
}

/** The fault's own duration: the outage is what is injected, not a wait for something to happen. */
function outage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
}
