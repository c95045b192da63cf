import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../local/postgres.js';
import { freePort } from '../local/ports.js';

const LOCALE_VARIABLES = ['LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_COLLATE'];

/**
 * The embedded PostgreSQL of `npm start` and of tests without DATABASE_URL lower-cases and sorts
 * with PostgreSQL's own Unicode locale whatever the machine's locale is: started where no locale
 * is set (a container, a CI runner), it used to take the C locale, whose lower() changes ASCII
 * letters only, so an auditor's search for "émile" did not find "Émile".
 */
describe('the embedded PostgreSQL', () => {
  let dataDir: string;
  let running: RunningPostgres;
  let client: pg.Client;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-embedded-locale-'));
    const saved = Object.fromEntries(LOCALE_VARIABLES.map((name) => [name, process.env[name]]));
    for (const name of LOCALE_VARIABLES) delete process.env[name];
    try {
      running = await startEmbeddedPostgres({ dataDir, port: await freePort(), password: 'embedded-locale' });
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    }
    client = new pg.Client({ connectionString: running.adminUrl });
    await client.connect();
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lower-cases letters beyond ASCII when the machine sets no locale', async () => {
    const { rows } = await client.query<{ lowered: string; provider: string }>(
      `SELECT lower('ÉMILE ŁUKASZ ΣΟΦΊΑ ИВАН') AS lowered, datlocprovider::text AS provider FROM pg_database WHERE datname = current_database()`,
    );
    expect(rows).toEqual([{ lowered: 'émile łukasz σοφία иван', provider: 'b' }]);
  });

  it('makes databases that lower-case the same way (the product’s own, created from template1)', async () => {
    await client.query('CREATE DATABASE phr_locale_check');
    const other = new pg.Client({ connectionString: running.adminUrl.replace(/\/postgres$/, '/phr_locale_check') });
    await other.connect();
    try {
      expect((await other.query<{ lowered: string }>(`SELECT lower('ÉMILE') AS lowered`)).rows).toEqual([{ lowered: 'émile' }]);
    } finally {
      await other.end();
      await client.query('DROP DATABASE phr_locale_check');
    }
  });
});
