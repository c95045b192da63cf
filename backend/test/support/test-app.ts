/**
 * A real API for a test file: its own database (a copy of the migrated
 * template), its own object store (the embedded signature-checking one, or a
 * bucket of its own on Ceph's RADOS Gateway: support/test-store.ts), its own SMTP server
 * (mails kept in a folder that `mail` reads), the app built by the same
 * factory as production, listening on a free port. Tests speak HTTP to it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConsoleLogger, type LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { startMailCatcher, type RunningMailCatcher } from '@phr/infra/local/mail/mail-catcher.js';
import { newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';
import { Mailbox } from '@phr/infra/local/mail/mailbox.js';
import type { RunningObjectStore } from '@phr/infra/local/object-store/index.js';
import { createTestDatabase, type TestDatabase } from '@phr/infra/local/test-database.js';
import { createApp } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { TEST_PORTAL_ORIGIN } from './http.js';
import { startTestStore } from './test-store.js';

export const TEST_JWT_SECRET = randomBytes(32).toString('base64');

/**
 * Every test file talks from 127.0.0.1, many as a few users: the rate limits
 * are set out of reach unless a test passes its own (rate-limits.spec.ts).
 */
export const UNTHROTTLED_RATE_LIMITS = {
  RATE_LIMIT_REQUESTS: '10000000',
  RATE_LIMIT_REGISTRATIONS: '10000000',
  RATE_LIMIT_REGISTRATION_MAILS: '10000000',
  RATE_LIMIT_DOCTOR_SEARCHES: '10000000',
  RATE_LIMIT_SECOND_FACTOR_ATTEMPTS: '10000000',
} as const;

export const TEST_MAIL_FROM = 'Health Records <no-reply@phr.test>';

export interface TestApp {
  baseUrl: string;
  config: AppConfig;
  database: TestDatabase;
  app: NestFastifyApplication;
  store: RunningObjectStore;
  /** The SMTP server the API sends to. */
  smtp: RunningMailCatcher;
  /** The mails it received: registration links and warnings. */
  mail: Mailbox;
  /** The owner URL of this file's database, as the operator's command-line steps use it (create-auditor, create-operator). */
  ownerUrl: string;
  /** Runs SQL as the superuser on this file's database (an operator's view, bypassing RLS). */
  adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The embedded store's clock relative to the machine's (tests of an API whose clock is off). */
  storeClockOffsetMs?: number;
  /** A database to copy instead of the run's migrated template (a test that prepares data before a migration). */
  template?: string;
}

export async function startTestApp(env: Record<string, string> = {}, logger: LoggerService | false = false, options: TestAppOptions = {}): Promise<TestApp> {
  const adminUrl = requiredEnv('PHR_TEST_ADMIN_URL');
  const database = await createTestDatabase(adminUrl, options.template ?? requiredEnv('PHR_TEST_TEMPLATE'));
  const testStore = await startTestStore({ corsOrigin: TEST_PORTAL_ORIGIN, clockOffsetMs: options.storeClockOffsetMs });
  const { store, accessKey, secretKey } = testStore;
  const smtp = await startMailCatcher({ dir: await mkdtemp(path.join(os.tmpdir(), 'phr-mail-')), port: 0 });
  const config = loadConfig({
    DATABASE_URL: database.appUrl,
    DATABASE_POOL_SIZE: '5',
    S3_ENDPOINT: store.endpoint,
    S3_ACCESS_KEY: accessKey,
    S3_SECRET_KEY: secretKey,
    S3_BUCKET: testStore.bucket,
    JWT_SECRET: TEST_JWT_SECRET,
    PRELOGIN_SECRET: randomBytes(32).toString('base64'),
    COOKIE_SECURE: 'false',
    PORTAL_ORIGIN: TEST_PORTAL_ORIGIN,
    SMTP_URL: smtp.smtpUrl,
    MAIL_FROM: TEST_MAIL_FROM,
    // Each app signs its key directory with a log key of its own (api.config.keyLog.publicKey verifies it).
    KEY_LOG_SIGNING_KEY: newKeyLogSigningKey(),
    ...UNTHROTTLED_RATE_LIMITS,
    // Notification mails only when a test runs the job (NotificationMailer.run): the mails other tests wait for are links.
    NOTIFICATION_MAIL_INTERVAL_SECONDS: '0',
    ...env,
  });
  // PHR_TEST_LOG=1 shows the API's errors and warnings while a test runs (to find the cause of a 500).
  const app = await createApp(config, { logger: process.env.PHR_TEST_LOG ? new ConsoleLogger('api', { logLevels: ['error', 'warn'] }) : logger }).catch(async (error: unknown) => {
    // An API that refuses to start (a test of that) leaves nothing behind.
    await testStore.close();
    await smtp.stop();
    await database.drop();
    await rm(smtp.dir, { recursive: true, force: true });
    throw error;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const admin = new pg.Pool({ connectionString: database.adminUrl, max: 2 });
  // An idle connection that fails is dropped from the pool (the next query opens another);
  // without a listener the pool's 'error' event would be an uncaught exception.
  admin.on('error', () => undefined);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    database,
    app,
    store,
    smtp,
    mail: new Mailbox(smtp.dir),
    ownerUrl: database.ownerUrl,
    adminQuery: async <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => (await admin.query<T>(sql, params)).rows,
    close: async () => {
      // Waits for requests in flight and running sweeps, then closes the app's pool.
      await app.close();
      await admin.end();
      await testStore.close();
      await smtp.stop();
      await database.drop();
      await rm(smtp.dir, { recursive: true, force: true });
    },
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the API suites through Jest (its global setup provides it)`);
  return value;
}
