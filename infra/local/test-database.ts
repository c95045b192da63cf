/**
 * Databases for test suites: one migrated template per test run, and a copy
 * of it per test file (CREATE DATABASE ... TEMPLATE takes ~30 ms), so files
 * never see each other's rows. The server is the one in DATABASE_URL, or an
 * embedded PostgreSQL when none is given.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { ident, OWNER_ROLE, provisionDatabase, roleUrl, startEmbeddedPostgres, withClient, APP_ROLE, type RunningPostgres } from './postgres.js';

/** Test roles get fixed passwords: they exist only on a test server or behind trust auth. */
export const TEST_OWNER_PASSWORD = 'phr-owner-test';
export const TEST_APP_PASSWORD = 'phr-app-test';

export interface TestServer {
  adminUrl: string;
  stop(): Promise<void>;
}

/** The server in DATABASE_URL, or a throw-away embedded one (initdb takes well under a second). */
export async function startTestServer(): Promise<TestServer> {
  const given = process.env.DATABASE_URL;
  if (given) return { adminUrl: given, stop: async () => undefined };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-test-pg-'));
  const running: RunningPostgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), password: 'postgres-test' });
  return {
    adminUrl: running.adminUrl,
    stop: async () => {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates and migrates a template database; returns its name. */
export async function createTemplate(adminUrl: string, migrate: (ownerUrl: string) => Promise<unknown>): Promise<string> {
  const name = `phr_tpl_${randomBytes(5).toString('hex')}`;
  const { ownerUrl } = await provisionDatabase(adminUrl, { database: name, ownerPassword: TEST_OWNER_PASSWORD, appPassword: TEST_APP_PASSWORD });
  await migrate(ownerUrl);
  return name;
}

export interface TestDatabase {
  name: string;
  appUrl: string;
  ownerUrl: string;
  /** Superuser URL to this database, for tests that inspect or tamper as an operator would. */
  adminUrl: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(adminUrl: string, template: string): Promise<TestDatabase> {
  const name = `phr_test_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (admin) => admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)} OWNER ${OWNER_ROLE}`));
  return {
    name,
    appUrl: roleUrl(adminUrl, name, APP_ROLE, TEST_APP_PASSWORD),
    ownerUrl: roleUrl(adminUrl, name, OWNER_ROLE, TEST_OWNER_PASSWORD),
    adminUrl: roleUrl(adminUrl, name, new URL(adminUrl).username, decodeURIComponent(new URL(adminUrl).password)),
    drop: () => dropDatabase(adminUrl, name),
  };
}

/**
 * Drops a test database once nobody uses it. A pg Pool's end() resolves as soon as it has
 * *asked* its connections to close, before their server processes have gone; a
 * `DROP ... WITH (FORCE)` right then terminated them, and the pool re-emitted the FATAL
 * 57P01 ("terminating connection due to administrator command") as an 'error' event. With
 * no listener that was an uncaught exception, which Jest blamed on whatever test ran next
 * in that worker. So the drop waits until the database has no other session; one still
 * there after `waitMs` is a connection a test forgot to close: it is terminated, and the
 * drop fails naming it, in the file that left it open.
 */
export async function dropDatabase(adminUrl: string, name: string, waitMs = 30_000): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    const sessions = () =>
      admin.query<{ application_name: string; usename: string; state: string }>(
        'SELECT application_name, usename, state FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
    const deadline = Date.now() + waitMs;
    let open = (await sessions()).rows;
    while (open.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      open = (await sessions()).rows;
    }
    await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    if (open.length > 0) {
      const who = open.map((session) => `${session.usename} "${session.application_name}" (${session.state})`).join(', ');
      throw new Error(`Database ${name} still had ${open.length} connection(s) ${waitMs / 1000} s after its users closed: ${who}. They were terminated; close them before the drop.`);
    }
  });
}
