/**
 * Memory over the soak: the API process's resident set (the pid changes when a
 * fault restarts it), and the private memory of the PostgreSQL processes that
 * serve the soak's database (their RssAnon: the shared buffers every backend
 * maps are not theirs), with the database's size.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { SoakStack } from './soak-stack.js';
import type { MemorySample } from './stats.js';

/** A /proc/<pid>/status field in MiB, or null when the process is gone. */
const STATUS_FIELDS = { VmRSS: /^VmRSS:\s+(\d+) kB/m, RssAnon: /^RssAnon:\s+(\d+) kB/m } as const;

function statusMiB(pid: number, field: keyof typeof STATUS_FIELDS): number | null {
  try {
    const match = STATUS_FIELDS[field].exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export async function sampleMemory(stack: SoakStack, admin: pg.Pool, atSeconds: number): Promise<MemorySample> {
  const apiPid = stack.apiPid();
  const { rows } = await admin.query<{ pid: number; size: string }>(
    'SELECT a.pid, pg_database_size($1) AS size FROM pg_stat_activity a WHERE a.datname = $1 UNION ALL SELECT NULL, pg_database_size($1) LIMIT 1000',
    [stack.database],
  );
  const backends = rows.filter((row) => row.pid !== null);
  const anon = backends.reduce((sum, row) => sum + (statusMiB(row.pid, 'RssAnon') ?? 0), 0);
  return {
    atSeconds,
    apiRssMiB: apiPid === null ? null : statusMiB(apiPid, 'VmRSS'),
    pgBackendsAnonMiB: anon,
    pgBackends: backends.length,
    pgDatabaseMiB: Number(rows.at(-1)?.size ?? 0) / (1024 * 1024),
  };
}
