import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { ALLOCATOR_WARM_UP_SQL, warmUpAllocator } from '../src/db/allocator-warm-up.js';
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

  /** A pg.Pool as the API's data sources make one (data-source.ts): pipelined, the warm-up as its onConnect hook, a broken connection reported on its 'error' event. */
  function poolOf(Client: typeof pg.Client, options: pg.PoolConfig = {}): { pool: pg.Pool; dropped: string[] } {
    // @types/pg 8.23.1 declares the hook as returning void; pg-pool 3.14 awaits the promise it returns (data-source.ts passes it untyped, in `extra`).
    const onConnect = warmUpAllocator as pg.PoolConfig['onConnect'];
    const pool = new pg.Pool({ connectionString: api.config.database.url, Client, max: 1, pipeline: true, onConnect, ...options });
    const dropped: string[] = [];
    pool.on('error', (error) => dropped.push(error.message));
    return { pool, dropped };
  }

  /** A pg.Client class whose warm-up statement is `replacement`, and which keeps a promise of each of its clients' end. */
  function clientReplacingWarmUp(replacement: string): { Client: typeof pg.Client; ends: Array<Promise<void>> } {
    const ends: Array<Promise<void>> = [];
    class Replacing extends pg.Client {
      constructor(config?: string | pg.ClientConfig) {
        super(config);
        ends.push(new Promise((resolve) => this.once('end', () => resolve())));
      }
    }
    const query = Replacing.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
    Replacing.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      return query.call(this, ...(args[0] === ALLOCATOR_WARM_UP_SQL ? [replacement, ...args.slice(1)] : args));
    } as typeof pg.Client.prototype.query;
    return { Client: Replacing, ends };
  }

  it('has the pool close a connection whose warm-up failed, and answer the connect with that failure', async () => {
    // Division by zero: the server refuses the statement and the connection stays open, unless the pool closes it.
    const { Client, ends } = clientReplacingWarmUp('SELECT 1 / 0');
    const { pool, dropped } = poolOf(Client);
    try {
      await expect(pool.connect()).rejects.toThrow(/division by zero/);
      expect(pool.totalCount).toBe(0);
      expect(ends).toHaveLength(1);
      await ends[0];
      expect(dropped).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('fails the connect of a warm-up that outlasts the query timeout, and nothing is left unhandled', async () => {
    // Before the warm-up was the pool's hook, the pool's connect timeout destroyed such a connection
    // while nothing listened for its errors, and the client's 'error' ended the process (CI, outages.spec).
    const { Client, ends } = clientReplacingWarmUp('SELECT pg_sleep(30)');
    const { pool } = poolOf(Client, { connectionTimeoutMillis: 300, query_timeout: 900 });
    try {
      await expect(pool.connect()).rejects.toThrow(/Query read timeout/);
      expect(pool.totalCount).toBe(0);
      await ends[0];
    } finally {
      await pool.end();
    }
  });
});
