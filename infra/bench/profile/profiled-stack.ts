/**
 * What the profiling scripts (profile-read.ts, profile-lists.ts, profile-sign-in.ts) share: the
 * product started as the bench starts it, but on a PostgreSQL of the run's own with
 * pg_stat_statements loaded and the API under cpu-profile-preload.mjs (rate limits out of the
 * way), and the API's latest V8 profile summarised once the product has stopped.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { freePort } from '../../local/ports.js';
import { startEmbeddedPostgres } from '../../local/postgres.js';
import { startThrowawayStack, type ThrowawayStack } from '../../local/throwaway-stack.js';

const preload = fileURLToPath(new URL('./cpu-profile-preload.mjs', import.meta.url));

export interface ProfiledProduct {
  product: ThrowawayStack;
  /** When the product was started (profiles written before are another run's). */
  startedAt: number;
  /** Stops the product and its PostgreSQL, and removes their data. */
  stop(): Promise<void>;
}

/** `nodeArgs`: more Node options for the API, beside the profile's preload. PHR_PROFILE_BUILD=0 skips compiling. */
export async function startProfiledProduct(nodeArgs = ''): Promise<ProfiledProduct> {
  const postgresDir = await mkdtemp(path.join(os.tmpdir(), 'phr-profile-pg-'));
  const postgres = await startEmbeddedPostgres({
    dataDir: postgresDir,
    port: await freePort(),
    password: 'profile',
    postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'track_functions=all', '-c', 'pg_stat_statements.track=all', '-c', 'pg_stat_statements.track_planning=on'],
  });
  const stopPostgres = async () => {
    await postgres.stop();
    await rm(postgresDir, { recursive: true, force: true });
  };
  process.env.DATABASE_URL = postgres.adminUrl;
  const startedAt = Date.now();
  try {
    const product = await startThrowawayStack('profile', {
      build: process.env.PHR_PROFILE_BUILD !== '0',
      env: {
        RATE_LIMIT_REQUESTS: '10000000',
        RATE_LIMIT_REGISTRATIONS: '10000000',
        RATE_LIMIT_REGISTRATION_MAILS: '10000000',
        PHR_API_NODE_ARGS: `--import ${preload} ${nodeArgs}`,
      },
    });
    return {
      product,
      startedAt,
      stop: async () => {
        await product.stop();
        await stopPostgres();
      },
    };
  } catch (error) {
    await stopPostgres();
    throw error;
  }
}

/** The API's profiles written since `since` (cpu-profile-preload.mjs), oldest first. */
export function apiProfilesSince(since: number): string[] {
  return readdirSync(os.tmpdir())
    .filter((name) => name.startsWith('phr-api-') && name.endsWith('.cpuprofile'))
    .map((name) => path.join(os.tmpdir(), name))
    .filter((file) => statSync(file).mtimeMs >= since)
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/** Prints summarize-cpu-profile.ts's summary of `file` with its options. */
export function summarizeProfile(file: string, options: string[] = []): void {
  execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./summarize-cpu-profile.ts', import.meta.url)), file, ...options], { stdio: 'inherit' });
}

/** PostgreSQL's top-level statements by time (pg_stat_statements), per `operation` (e.g. "sign-in") of `operations` done. */
export async function printTopStatements(admin: pg.Client, operations: number, operation: string, limit: number): Promise<void> {
  const { rows } = await admin.query<{ calls: string; ms_per_operation: string; plan_ms: string; exec_ms: string; query: string }>(
    `SELECT calls, round((total_plan_time + total_exec_time)::numeric / $1, 3) AS ms_per_operation, round(total_plan_time::numeric / calls, 3) AS plan_ms,
            round(total_exec_time::numeric / calls, 3) AS exec_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query
       FROM pg_stat_statements WHERE calls >= $1 / 2 AND toplevel ORDER BY total_plan_time + total_exec_time DESC LIMIT $2`,
    [operations, limit],
  );
  console.log(`PostgreSQL statements (pg_stat_statements, top level): calls, ms per ${operation}, plan ms and execution ms per call`);
  for (const row of rows) console.log(`${row.calls.padStart(6)} ${row.ms_per_operation.padStart(7)} ${row.plan_ms.padStart(7)} ${row.exec_ms.padStart(7)}  ${row.query}`);
}
