/**
 * Automatic failover of PostgreSQL under a running API (issue 17, docs/running.md "Automatic
 * failover"): a pg_auto_failover formation (monitor, primary, synchronous standby: Debian's
 * postgresql-15-auto-failover) with the API's DATABASE_URL listing both nodes. Patients create
 * folders (a row and an audit row each) while the primary is killed outright. What must hold:
 * every request is answered (2xx, or 503 with Retry-After while there is no primary), no write
 * that was acknowledged is missing on the promoted standby, every audit chain still verifies,
 * and the same API process serves again by itself once the monitor has promoted the standby.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ConsoleLogger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { ROUTES } from '@phr/shared-types';
import { newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';
import { startFormation, type FormationNode, type RunningFormation } from '@phr/infra/local/pg-auto-failover/formation.js';
import { APP_ROLE, OWNER_ROLE, provisionDatabase, withDatabase } from '@phr/infra/local/postgres.js';
import { createApp } from '../src/app.factory.js';
import { DependencyUnavailable } from '../src/common/dependency-unavailable.js';
import { loadConfig } from '../src/config/app-config.js';
import { ANONYMOUS, Db } from '../src/db/db.service.js';
import { runMigrations } from '../src/db/migrate.js';
import type { AuditRow } from './support/audit.js';
import { firstBrokenRow } from './support/audit-chain.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, TEST_JWT_SECRET, TEST_MAIL_FROM, UNTHROTTLED_RATE_LIMITS, type TestApp } from './support/test-app.js';
import { waitUntil } from './support/wait-until.js';

jest.setTimeout(300_000);

const DATABASE = 'phr';
const OWNER_PASSWORD = randomBytes(12).toString('hex');
const APP_PASSWORD = randomBytes(12).toString('hex');
/** Writers at once, as a few patients using the portal. */
const WRITERS = 3;
/** Acknowledged writes wanted before the crash, and after the API has recovered. */
const WRITES_BEFORE = 30;
const WRITES_AFTER = 30;

interface Answer {
  patient: RegisteredUser;
  status: number;
  retryAfter: string | null;
  folderId: string | null;
  /** ms since the load started. */
  at: number;
}

async function adminQuery<T extends pg.QueryResultRow>(node: FormationNode, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: withDatabase(node.adminUrl, DATABASE) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Patients creating folders one after another until told to stop; every answer is kept. */
function startLoad(patients: RegisteredUser[]): { answers: Answer[]; acknowledged: () => number; stop: () => Promise<void> } {
  const answers: Answer[] = [];
  const started = Date.now();
  let stopping = false;
  const writer = async (patient: RegisteredUser) => {
    while (!stopping) {
      const response = await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(20) } });
      answers.push({
        patient,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        folderId: response.status === 201 ? response.body.id : null,
        at: Date.now() - started,
      });
      // A 503 says when to come back; the load keeps asking sooner, to see the recovery as soon as it happens.
      if (response.status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const running = Promise.all(patients.map(writer));
  return {
    answers,
    acknowledged: () => answers.filter((answer) => answer.status === 201).length,
    stop: async () => {
      stopping = true;
      await running;
    },
  };
}

describe('PostgreSQL with automatic failover (pg_auto_failover) under a running API', () => {
  let formation: RunningFormation;
  let storeApi: TestApp;
  let app: NestFastifyApplication | undefined;
  let baseUrl: string;
  let patients: RegisteredUser[];

  beforeAll(async () => {
    formation = await startFormation();
    const primary = await formation.primary();
    await provisionDatabase(primary.adminUrl, { database: DATABASE, ownerPassword: OWNER_PASSWORD, appPassword: APP_PASSWORD });
    // The owner's URL lists both nodes, as an operator would give it: migrate finds the primary.
    await runMigrations(formation.urlFor(OWNER_ROLE, OWNER_PASSWORD, DATABASE));
    // An object store and an SMTP server for the app (those of a test app on the shared server, which is not disturbed).
    storeApi = await startTestApp();
    app = await createApp(
      loadConfig({
        DATABASE_URL: formation.urlFor(APP_ROLE, APP_PASSWORD, DATABASE),
        // The default timeouts: a killed server's sockets are reset at once, nothing waits on them.
        DATABASE_POOL_SIZE: '4',
        S3_ENDPOINT: storeApi.store.endpoint,
        S3_ACCESS_KEY: storeApi.config.s3.accessKey,
        S3_SECRET_KEY: storeApi.config.s3.secretKey,
        S3_BUCKET: storeApi.config.s3.bucket,
        SMTP_URL: storeApi.smtp.smtpUrl,
        MAIL_FROM: TEST_MAIL_FROM,
        JWT_SECRET: TEST_JWT_SECRET,
        PRELOGIN_SECRET: randomBytes(32).toString('base64'),
        COOKIE_SECURE: 'false',
        SWEEP_INTERVAL_SECONDS: '0',
        NOTIFICATION_MAIL_INTERVAL_SECONDS: '0',
        KEY_LOG_SIGNING_KEY: newKeyLogSigningKey(),
        ...UNTHROTTLED_RATE_LIMITS,
      }),
      // PHR_TEST_LOG=1 shows the API's errors and warnings (the primary it finds, the connections it drops).
      { logger: process.env.PHR_TEST_LOG ? new ConsoleLogger('api', { logLevels: ['error', 'warn'] }) : false },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const registrationApi = { baseUrl, mail: storeApi.mail, ownerUrl: formation.urlFor(OWNER_ROLE, OWNER_PASSWORD, DATABASE) };
    patients = [];
    for (let i = 0; i < WRITERS; i++) patients.push(await registerUser(registrationApi));
  });
  afterAll(async () => {
    await app?.close();
    await storeApi?.close();
    await formation?.stop();
  });

  it('commits synchronously: the primary waits for its standby before it acknowledges', async () => {
    const primary = await formation.primary();
    const [{ synchronous_standby_names: standbys }] = await adminQuery<{ synchronous_standby_names: string }>(primary, 'SHOW synchronous_standby_names');
    expect(standbys).toMatch(/^ANY 1 \(/);
    const replicas = await adminQuery<{ sync_state: string }>(primary, 'SELECT sync_state FROM pg_stat_replication');
    expect(replicas.map((replica) => replica.sync_state)).toEqual(['quorum']);
  });

  it('loses no acknowledged write when the primary dies, and serves again from the promoted standby without a restart', async () => {
    const oldPrimary = await formation.primary();
    const standby = formation.nodes.find((node) => node !== oldPrimary) as FormationNode;
    const load = startLoad(patients);
    let crashedAt = 0;
    let acknowledgedAtCrash = 0;
    try {
      await waitUntil(`${WRITES_BEFORE} acknowledged writes`, () => load.acknowledged() >= WRITES_BEFORE, 60_000);
      acknowledgedAtCrash = load.acknowledged();
      crashedAt = load.answers.at(-1)?.at ?? 0;
      await formation.crash(oldPrimary);
      // The monitor promotes the standby: it reports itself primary alone (wait_primary) once writable.
      await waitUntil(
        `the monitor promoting ${standby.name}`,
        async () => (await formation.states()).some((node) => node.name === standby.name && ['wait_primary', 'primary'].includes(node.reportedState)),
        120_000,
      );
      await waitUntil(`${WRITES_AFTER} acknowledged writes after the failover`, () => load.acknowledged() >= acknowledgedAtCrash + WRITES_AFTER, 120_000);
    } finally {
      await load.stop();
    }

    // Every request was answered: created, or 503 with Retry-After while no primary took writes.
    const unexpected = load.answers.filter((answer) => answer.status !== 201 && !(answer.status === 503 && Number(answer.retryAfter) > 0));
    expect(unexpected.map(({ status, retryAfter }) => ({ status, retryAfter }))).toEqual([]);
    const unavailable = load.answers.filter((answer) => answer.status === 503);
    expect(unavailable.every((answer) => answer.at >= crashedAt)).toBe(true);

    // Every acknowledged folder is on the promoted standby, with its audit row.
    const acknowledged = load.answers.filter((answer) => answer.status === 201).map((answer) => answer.folderId as string);
    const stored = await adminQuery<{ id: string }>(standby, 'SELECT id FROM folders WHERE id = ANY($1::uuid[])', [acknowledged]);
    expect(stored.map((row) => row.id).sort()).toEqual([...acknowledged].sort());
    const audited = await adminQuery<{ reason: string }>(standby, `SELECT reason FROM audit_events WHERE action = 'folder.create' AND outcome = 'allow' AND reason = ANY($1)`, [acknowledged]);
    expect(audited.map((row) => row.reason).sort()).toEqual([...acknowledged].sort());

    // Each patient's audit chain verifies across the failover.
    for (const patient of patients) {
      const rows = await adminQuery<AuditRow & pg.QueryResultRow>(standby, 'SELECT * FROM audit_events WHERE subject_id = $1 ORDER BY seq', [patient.userId]);
      expect(rows.length).toBeGreaterThan(0);
      expect(await firstBrokenRow(rows)).toBeNull();
    }

    // The same API process is ready again, on the promoted standby.
    expect((await formation.primary()).name).toBe(standby.name);
    expect((await testClient(baseUrl).send(ROUTES.health)).status).toBe(200);
  });
});

describe('a connection lost between two statements of a transaction', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  // Seen under the failover above: TypeORM releases a query runner whose idle connection reports
  // an error, and the transaction's next statement fails with an "already released" error of its own.
  it.each([
    ['its entity manager', (db: Db) => db.manager().query('SELECT 1')],
    ['its query runner', (db: Db) => (db.manager().queryRunner as QueryRunner).query('SELECT 1')],
  ])('is the database being unavailable (503 with Retry-After), not a bug (500), when the next statement goes through %s', async (_way, nextStatement) => {
    const db = api.app.get(Db);
    const failure = await db
      .runAs(ANONYMOUS, async () => {
        const [{ pid }] = await db.manager().query<Array<{ pid: number }>>('SELECT pg_backend_pid() AS pid');
        await api.adminQuery('SELECT pg_terminate_backend($1)', [pid]);
        await waitUntil('TypeORM releasing the broken connection', () => db.manager().queryRunner?.isReleased === true);
        await nextStatement(db);
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(DependencyUnavailable);
    expect((failure as DependencyUnavailable).message).toMatch(/database/i);
  });
});
