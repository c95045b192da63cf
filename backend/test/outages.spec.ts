/**
 * What the API does when a dependency fails under it (ASVS 16.5: fail safely):
 * the object store and PostgreSQL are frozen (SIGSTOP, as a hung server or a
 * full disk behaves), stopped and started again while the API runs. Every
 * request gets an answer: 503 with Retry-After naming the part that is down,
 * never a 500 and never silence; requests that do not need the failed part
 * go on being served; and the API recovers by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ERROR_CODES, ROUTES, type ErrorResponse } from '@phr/shared-types';
import { newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';
import { freePort } from '@phr/infra/local/ports.js';
import { provisionDatabase, startEmbeddedPostgres, type RunningPostgres } from '@phr/infra/local/postgres.js';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/app-config.js';
import { runMigrations } from '../src/db/migrate.js';
import { auditRowsOf } from './support/audit.js';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { freezeProcessTree, thawProcessTree } from './support/process-tree.js';
import { commit, commitRequest, presign, putSegments, segmentBodies } from './support/records.js';
import { startStoreProcess, type StoreProcess } from './support/store-process.js';
import { startTestApp, TEST_JWT_SECRET, TEST_MAIL_FROM, UNTHROTTLED_RATE_LIMITS, type TestApp } from './support/test-app.js';

jest.setTimeout(120_000);

const STORE_TIMEOUT_MS = 1_500;

/** Asks until `check` holds (a frozen process needs a moment to be noticed; a thawed pool to recover). */
async function eventually<T>(ask: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await ask();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a frozen, stopped or restarted object store', () => {
  let store: StoreProcess;
  let api: TestApp;
  let patient: RegisteredUser;

  beforeAll(async () => {
    store = await startStoreProcess();
    // Three connections only: if a commit held one while the store hangs, three commits would stall everyone.
    api = await startTestApp({ ...store.env, S3_TIMEOUT_MS: String(STORE_TIMEOUT_MS), DATABASE_POOL_SIZE: '3' });
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  const health = () => testClient(api.baseUrl).send(ROUTES.health);
  const listRecords = () => patient.client.send(ROUTES.listRecords, { token: patient.token });

  /** Uploads whose objects are in the store, ready to commit. */
  async function uploadsReadyToCommit(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const upload = await presign(patient, 1000);
      await putSegments(upload, segmentBodies(1000));
      ids.push(upload.recordId);
    }
    return ids;
  }

  it('serves everyone else while commits wait on a frozen store, then answers those commits 503 with Retry-After', async () => {
    const ids = await uploadsReadyToCommit(8);
    store.freeze();
    try {
      const commits = ids.map((recordId) => commit(patient, commitRequest(recordId)));
      // While eight commits wait on the store, requests that need only the database are answered.
      for (let i = 0; i < 5; i++) expect((await listRecords()).status).toBe(200);
      expect((await testClient(api.baseUrl).send(ROUTES.liveness)).status).toBe(200);
      const readiness = await health();
      expect(readiness.status).toBe(503);
      expect(readiness.body).toEqual({ status: 'unavailable', database: 'up', objectStore: 'down' });
      expect(Number(readiness.headers.get('retry-after'))).toBeGreaterThan(0);

      const answers = await Promise.all(commits);
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect((answer.body as unknown as ErrorResponse).code).toBe(ERROR_CODES.serviceUnavailable);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    } finally {
      store.thaw();
    }
    // Nothing was committed, and each attempt is in the trail.
    expect((await listRecords()).body.items).toHaveLength(0);
    const denied = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'record.create' && row.outcome === 'deny');
    expect(denied.map((row) => row.record_id).sort()).toEqual([...ids].sort());
    expect(denied.every((row) => row.reason?.includes('object store was unavailable'))).toBe(true);

    // The same commits succeed once the store answers again: nothing was lost.
    for (const recordId of ids) expect((await commit(patient, commitRequest(recordId))).status).toBe(201);
    expect((await listRecords()).body.items).toHaveLength(ids.length);
  });

  it('answers 503 while the store is stopped, says which part is down, and recovers when it is back', async () => {
    const [recordId] = await uploadsReadyToCommit(1);
    await store.stop();
    try {
      const answer = await commit(patient, commitRequest(recordId));
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await health()).body).toEqual({ status: 'unavailable', database: 'up', objectStore: 'down' });
    } finally {
      await store.start();
    }
    await eventually(health, (response) => response.status === 200, 'readiness after the store came back');
    expect((await commit(patient, commitRequest(recordId))).status).toBe(201);
  });
});

describe('a frozen, stopped or restarted PostgreSQL', () => {
  let dataDir: string;
  let postgres: RunningPostgres | undefined;
  let postgresPort: number;
  let app: NestFastifyApplication | undefined;
  let storeApi: TestApp;
  let baseUrl: string;
  let patient: RegisteredUser;
  const password = randomBytes(12).toString('hex');

  const startPostgres = async () => {
    postgres = await startEmbeddedPostgres({ dataDir, port: postgresPort, password });
  };
  /** The postmaster's pid, from its pid file (first line). */
  const postmasterPid = async () => {
    const { readFile } = await import('node:fs/promises');
    return Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-outage-pg-'));
    postgresPort = await freePort();
    await startPostgres();
    const database = await provisionDatabase((postgres as RunningPostgres).adminUrl, { database: 'phr', ownerPassword: 'owner-pw', appPassword: 'app-pw' });
    await runMigrations(database.ownerUrl);
    // An object store and an SMTP server for the app (those of a test app on the shared server, which is not disturbed).
    storeApi = await startTestApp();
    app = await createApp(
      loadConfig({
        DATABASE_URL: database.appUrl,
        DATABASE_POOL_SIZE: '4',
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '1000',
        DATABASE_QUERY_TIMEOUT_MS: '1500',
        S3_ENDPOINT: storeApi.store.endpoint,
        S3_ACCESS_KEY: storeApi.config.s3.accessKey,
        S3_SECRET_KEY: storeApi.config.s3.secretKey,
        SMTP_URL: storeApi.smtp.smtpUrl,
        MAIL_FROM: TEST_MAIL_FROM,
        JWT_SECRET: TEST_JWT_SECRET,
        PRELOGIN_SECRET: randomBytes(32).toString('base64'),
        COOKIE_SECURE: 'false',
        SWEEP_INTERVAL_SECONDS: '0',
        KEY_LOG_SIGNING_KEY: newKeyLogSigningKey(),
        ...UNTHROTTLED_RATE_LIMITS,
      }),
      { logger: false },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    patient = await registerUser({ baseUrl, mail: storeApi.mail, ownerUrl: storeApi.ownerUrl });
  });
  afterAll(async () => {
    // A failed assertion must not leave the server frozen for the next step.
    if (postgres) thawProcessTree(await postmasterPid());
    await app?.close();
    await storeApi?.close();
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const listRecords = () => patient.client.send(ROUTES.listRecords, { token: patient.token });
  const health = () => testClient(baseUrl).send(ROUTES.health);

  it('answers 503 with Retry-After, never silence, while PostgreSQL is frozen, and serves again when it thaws', async () => {
    expect((await listRecords()).status).toBe(200);
    const pid = await postmasterPid();
    freezeProcessTree(pid);
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, () => listRecords()));
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.error?.code).toBe(ERROR_CODES.serviceUnavailable);
        expect(answer.error?.message).toMatch(/database/i);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect((await health()).body).toEqual({ status: 'unavailable', database: 'down', objectStore: 'up' });
      expect((await testClient(baseUrl).send(ROUTES.liveness)).status).toBe(200);
    } finally {
      thawProcessTree(pid);
    }
    await eventually(listRecords, (response) => response.status === 200, 'records after PostgreSQL thawed');
  });

  it('answers 503 while PostgreSQL is stopped and reconnects by itself when it is back', async () => {
    await postgres?.stop();
    postgres = undefined;
    try {
      const answer = await listRecords();
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await health()).body).toEqual({ status: 'unavailable', database: 'down', objectStore: 'up' });
    } finally {
      await startPostgres();
    }
    await eventually(listRecords, (response) => response.status === 200, 'records after PostgreSQL restarted');
    expect((await health()).status).toBe(200);
  });
});

describe('a lock held too long', () => {
  let api: TestApp;
  let patient: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({ DATABASE_LOCK_TIMEOUT_MS: '500' });
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 503 with Retry-After instead of waiting behind it, and serves once it is released', async () => {
    const { default: pg } = await import('pg');
    const operator = new pg.Client({ connectionString: api.database.adminUrl });
    operator.on('error', () => undefined);
    await operator.connect();
    try {
      // Holds the patient's audit chain head, which every audited request of theirs must lock.
      await operator.query('BEGIN');
      await operator.query('SELECT * FROM audit_chain_heads WHERE subject_id = $1 FOR UPDATE', [patient.userId]);
      const answer = await patient.client.send(ROUTES.listRecords, { token: patient.token });
      expect(answer.status).toBe(503);
      expect(answer.error?.code).toBe(ERROR_CODES.serviceUnavailable);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      await operator.query('ROLLBACK');
    } finally {
      await operator.end();
    }
    expect((await patient.client.send(ROUTES.listRecords, { token: patient.token })).status).toBe(200);
  });

  it('files the attempt of a request that failed after its audit row was queued, as a denial that says why, and answers 503', async () => {
    const { default: pg } = await import('pg');
    const operator = new pg.Client({ connectionString: api.database.adminUrl });
    operator.on('error', () => undefined);
    await operator.connect();
    try {
      // A sign-in queues its session.login row, then reads the account's public key: that read waits on this lock.
      await operator.query('BEGIN');
      await operator.query('LOCK TABLE public_keys IN ACCESS EXCLUSIVE MODE');
      const answer = await patient.client.send(ROUTES.login, { body: { email: patient.request.email, authKey: patient.request.authKey } });
      expect(answer.status).toBe(503);
      expect(answer.error?.code).toBe(ERROR_CODES.serviceUnavailable);
      await operator.query('ROLLBACK');
    } finally {
      await operator.end();
    }
    const rows = await api.adminQuery<{ action: string; outcome: string; reason: string }>(
      `SELECT action, outcome, reason FROM audit_events WHERE subject_id = $1 AND action = 'session.login' ORDER BY seq DESC LIMIT 1`,
      [patient.userId],
    );
    expect(rows).toEqual([{ action: 'session.login', outcome: 'deny', reason: expect.stringMatching(/^not completed: a dependency was unavailable/) }]);
  });
});
