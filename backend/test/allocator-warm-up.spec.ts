import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { warmingClient } from '../src/db/allocator-warm-up.js';
import { DATA_SOURCE, STATEMENT_DATA_SOURCE } from '../src/db/db.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Issue 14: the API's connections first raise their PostgreSQL server process's heap trim
 * threshold (allocator-warm-up.ts). Seen as that process's minor page faults (Linux /proc; the
 * tests' PostgreSQL runs on this machine) over a statement repeated on one connection: a sort
 * whose memory (about 1 MiB, in blocks below malloc's mapping threshold) is freed at its end.
 * Without the warm-up glibc gives that memory back after every statement and the next one
 * faults it in again; with it the process keeps and reuses it.
 */
const SORT = 'SELECT count(*) AS rows FROM (SELECT g FROM generate_series(1, 20000) g ORDER BY g DESC) sorted';
const REPEATS = 20;
/** What faulting the sort's memory in again costs each time, at the least (about 270 pages here). */
const COLD_FAULTS_PER_SORT = 50;
/** A warm process reuses its heap: a few faults in all, whatever the machine does meanwhile. */
const WARM_FAULTS = 100;

/** Minor page faults of a process so far (/proc/<pid>/stat, field 10). */
function minorFaultsOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[7]);
}

/** The faults of the server process behind `query` while it runs the sort REPEATS times (once before, to settle). */
async function faultsOfRepeatedSort(query: (sql: string) => Promise<Array<Record<string, unknown>>>): Promise<number> {
  const [{ pid }] = await query('SELECT pg_backend_pid() AS pid');
  expect(await query(SORT)).toEqual([{ rows: '20000' }]);
  const before = minorFaultsOf(Number(pid));
  for (let i = 0; i < REPEATS; i++) await query(SORT);
  return minorFaultsOf(Number(pid)) - before;
}

describe('the allocator warm-up of the API’s connections', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each([
    ['request', DATA_SOURCE],
    ['statement', STATEMENT_DATA_SOURCE],
  ])('leaves the server process of a %s pool connection its heap: repeating a sort faults no memory in again', async (_pool, token) => {
    const runner = api.app.get<DataSource>(token).createQueryRunner();
    try {
      await runner.connect();
      expect(await faultsOfRepeatedSort((sql) => runner.query(sql))).toBeLessThan(WARM_FAULTS);
    } finally {
      await runner.release();
    }
  });

  it('is what makes the difference: a plain connection to the same database faults the sort’s memory in on every statement', async () => {
    const client = new pg.Client({ connectionString: api.config.database.url });
    await client.connect();
    try {
      expect(await faultsOfRepeatedSort(async (sql) => (await client.query<Record<string, unknown>>(sql)).rows)).toBeGreaterThan(REPEATS * COLD_FAULTS_PER_SORT);
    } finally {
      await client.end();
    }
  });

  it('closes a connection whose warm-up failed, and the pool answers the connect with that failure', async () => {
    /** A connection left in a failed transaction right after the connect: the server refuses the warm-up, the connection stays open. */
    class FailedTransaction extends pg.Client {
      override connect(): Promise<pg.Client>;
      override connect(callback: (error: Error | null) => void): void;
      override connect(callback?: (error: Error | null) => void): Promise<pg.Client> | void {
        const connected = super.connect().then(async () => {
          await this.query('BEGIN');
          await this.query('SELECT 1 / 0').catch(() => undefined);
          return this;
        });
        if (!callback) return connected;
        connected.then(() => callback(null), callback);
      }
    }
    const Client = warmingClient(FailedTransaction);
    const refusal = /current transaction is aborted/;
    const pool = new pg.Pool({ connectionString: api.config.database.url, Client, max: 1 });
    try {
      await expect(pool.connect()).rejects.toThrow(refusal);
      expect(pool.totalCount).toBe(0);
    } finally {
      await pool.end();
    }
    const direct = new Client({ connectionString: api.config.database.url });
    const ended = new Promise<string>((resolve) => direct.once('end', () => resolve('ended')));
    await expect(direct.connect()).rejects.toThrow(refusal);
    // Closed by the failed warm-up itself: no caller holds it to close it.
    expect(await ended).toBe('ended');
  });
});
