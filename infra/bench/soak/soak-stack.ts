/**
 * The product for the soak: PostgreSQL (DATABASE_URL's server, or an embedded
 * one of the run's own), a fresh database, the signature-checking object store,
 * the SMTP catcher and the API, each a part the soak can break and bring back:
 * the API killed and restarted, or paused; the store stopped and started again
 * on its port with its objects. The API is started as infra/local/stack.ts
 * starts it (same settings, same Node options), without the portal, which the
 * soak does not use and which would take a share of the two cores.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runMigrations } from '../../../backend/src/db/migrate.js';
import { keyLogPublicKeyOf, loadOrCreateSecrets, type LocalSecrets } from '../../local/local-secrets.js';
import { startMailCatcher, type RunningMailCatcher } from '../../local/mail/mail-catcher.js';
import { Mailbox } from '../../local/mail/mailbox.js';
import { freePort } from '../../local/ports.js';
import { provisionDatabase } from '../../local/postgres.js';
import { run, startChild, stopChild, waitForHttp, type Child } from '../../local/processes.js';
import { API_NODE_OPTIONS, DEFAULT_BUCKET, REPO_ROOT } from '../../local/stack.js';
import { dropDatabase, startTestServer, type TestServer } from '../../local/test-database.js';

/** A stopped store that has not closed its connections by then is killed. */
const STORE_STOP_GRACE_MS = 2_000;

/** The API compiled for the soak, apart from backend/dist (which `npm start` rewrites). */
const SOAK_API_DIR = 'backend/.soak-dist';

/**
 * Settings that make the soak's consistency check possible within minutes: upload URLs that
 * expire in seconds, and the product's own sweeps (expired uploads, then objects no row owns)
 * running often; no rate limit in the way of a handful of users sending all they can.
 */
export const SOAK_API_SETTINGS = {
  UPLOAD_URL_SECONDS: '20',
  UPLOAD_GRACE_SECONDS: '0',
  SWEEP_INTERVAL_SECONDS: '5',
  RECONCILE_INTERVAL_SECONDS: '10',
  RATE_LIMIT_REQUESTS: '10000000',
  RATE_LIMIT_REGISTRATIONS: '10000000',
  RATE_LIMIT_REGISTRATION_MAILS: '10000000',
  RATE_LIMIT_DOCTOR_SEARCHES: '10000000',
} as const;

export interface SoakStack {
  apiUrl: string;
  portalOrigin: string;
  adminUrl: string;
  ownerUrl: string;
  database: string;
  mailbox: Mailbox;
  s3: { endpoint: string; accessKey: string; secretKey: string; bucket: string };
  apiPid(): number | null;
  /** SIGKILL, then a new API process on the same port; resolves once it answers its health check. */
  restartApi(): Promise<void>;
  /** Waits until the API answers its health check. */
  waitForApi(timeoutMs?: number): Promise<void>;
  stopStore(): Promise<void>;
  startStore(): Promise<void>;
  stop(): Promise<void>;
}

/** `build: false` runs the API a previous soak compiled (backend/.soak-dist). */
export async function startSoakStack(options: { build: boolean; log: (line: string) => void }): Promise<SoakStack> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'phr-soak-'));
  const dataDir = path.join(workDir, 'data');
  const server: TestServer = await startTestServer();
  const database = `phr_soak_${randomBytes(4).toString('hex')}`;
  const stops: Array<() => Promise<void>> = [
    async () => {
      await dropDatabase(server.adminUrl, database).catch(() => undefined);
      await server.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  ];
  const stop = async () => {
    for (const stopOne of stops.splice(0).reverse()) await stopOne().catch((error: unknown) => options.log(`stop failed: ${String(error)}`));
  };
  try {
    const secrets = await loadOrCreateSecrets(dataDir);
    const { ownerUrl, appUrl } = await provisionDatabase(server.adminUrl, { database, ownerPassword: secrets.ownerPassword, appPassword: secrets.appPassword });
    await runMigrations(ownerUrl);
    if (options.build) {
      options.log('Compiling shared-types and the API…');
      const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
      await run(process.execPath, [tsc, '-b', 'shared-types'], REPO_ROOT);
      await run(process.execPath, [tsc, '-p', 'backend/tsconfig.build.json', '--outDir', SOAK_API_DIR], REPO_ROOT);
    }
    const storePort = await freePort();
    // The store runs in a process of its own (infra/local/object-store/serve.ts), so that the fault
    // can stop it as an operator's store fails: its in-flight requests cut, nothing drained.
    let store: Child | null = null;
    const startStore = async () => {
      let announce: () => void = () => undefined;
      const listening = new Promise<void>((resolve) => (announce = resolve));
      const child = startChild('store', process.execPath, ['--import', 'tsx', 'infra/local/object-store/serve.ts'], {
        cwd: REPO_ROOT,
        log: (line) => (line.includes('listening ') ? announce() : options.log(line)),
        env: {
          PATH: process.env.PATH,
          STORE_PORT: String(storePort),
          STORE_DATA_DIR: path.join(dataDir, 'objects'),
          STORE_ACCESS_KEY: secrets.s3AccessKey,
          STORE_SECRET_KEY: secrets.s3SecretKey,
          STORE_BUCKET: DEFAULT_BUCKET,
          STORE_CORS_ORIGINS: '*',
        },
      });
      store = child;
      const exited = child.exited.then((code) => new Error(`the store process exited (${code}) before it served`));
      const failure = await Promise.race([listening.then(() => null), exited]);
      if (failure) throw failure;
    };
    const stopStore = async () => {
      if (store) await stopChild(store, STORE_STOP_GRACE_MS);
      store = null;
    };
    await startStore();
    stops.push(stopStore);
    const mail: RunningMailCatcher = await startMailCatcher({ dir: path.join(dataDir, 'mail'), port: 0 });
    stops.push(() => mail.stop());

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const portalOrigin = `http://localhost:${await freePort()}`;
    const s3 = { endpoint: `http://127.0.0.1:${storePort}`, accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey, bucket: DEFAULT_BUCKET };
    const env = apiEnvironment({ apiPort, appUrl, s3, secrets, portalOrigin, smtpUrl: mail.smtpUrl });
    let api: Child | null = null;
    const startApi = async () => {
      api = startChild('api', process.execPath, [...API_NODE_OPTIONS, `${SOAK_API_DIR}/main.js`], { cwd: REPO_ROOT, env, log: quietApiLog(options.log) });
      await waitForHttp(`${apiUrl}/api/health`, 120_000, api);
    };
    stops.push(async () => {
      if (api) await stopChild(api);
    });
    await startApi();

    return {
      apiUrl,
      portalOrigin,
      adminUrl: server.adminUrl,
      ownerUrl,
      database,
      mailbox: new Mailbox(mail.dir),
      s3,
      apiPid: () => api?.process.pid ?? null,
      restartApi: async () => {
        if (api) {
          // A crash, not a shutdown: no draining, no closing of the pool.
          api.process.kill('SIGKILL');
          await api.exited;
        }
        await startApi();
      },
      waitForApi: (timeoutMs = 120_000) => waitForHttp(`${apiUrl}/api/health`, timeoutMs),
      stopStore,
      startStore,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The API's environment, as infra/local/stack.ts gives it (keep the two alike). */
function apiEnvironment(parts: {
  apiPort: number;
  appUrl: string;
  s3: SoakStack['s3'];
  secrets: LocalSecrets;
  portalOrigin: string;
  smtpUrl: string;
}): NodeJS.ProcessEnv {
  const { secrets, s3 } = parts;
  return {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(parts.apiPort),
    DATABASE_URL: parts.appUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_PUBLIC_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: s3.bucket,
    S3_REGION: 'us-east-1',
    JWT_SECRET: secrets.jwtSecret,
    PRELOGIN_SECRET: secrets.preloginSecret,
    KEY_LOG_SIGNING_KEY: secrets.keyLogSigningKey,
    KEY_LOG_PUBLIC_KEY: keyLogPublicKeyOf(secrets.keyLogSigningKey),
    PORTAL_ORIGIN: parts.portalOrigin,
    COOKIE_SECURE: 'true',
    SMTP_URL: parts.smtpUrl,
    MAIL_FROM: 'Health Records <no-reply@phr.localhost>',
    ...SOAK_API_SETTINGS,
  };
}

/** The API's error lines (its warnings are mostly the refusals the malformed requests ask for). */
function quietApiLog(log: (line: string) => void): (line: string) => void {
  return (line) => {
    if (/\bERROR\b/.test(line)) log(line.length > 400 ? `${line.slice(0, 400)}…` : line);
  };
}
