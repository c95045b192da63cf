/**
 * The whole product on one machine: PostgreSQL, a signature-checking S3
 * store, an SMTP server that keeps mail in the data folder, migrations, the
 * API (one process, or several behind Caddy: `apiInstances`) and the portal. Used by `npm start` and by the browser tests. Anything
 * given in the environment (DATABASE_URL, S3_*, SMTP_URL) is used instead of
 * the embedded part.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations } from '../../backend/src/db/migrate.js';
import { keyLogPublicKeyOf, loadOrCreateSecrets } from './local-secrets.js';
import { startMailCatcher } from './mail/mail-catcher.js';
import { linkIn, Mailbox } from './mail/mailbox.js';
import { startObjectStore, type RunningObjectStore } from './object-store/index.js';
import { assertCaddyInstalled, startLoadBalancer } from './load-balancer.js';
import { freePort, isListening, portInUse } from './ports.js';
import { provisionDatabase, startEmbeddedPostgres, type RunningPostgres } from './postgres.js';
import { run, startChild, stopChild, waitForHttp, type Child } from './processes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_BUCKET = 'phr-records';

/**
 * Node options the API always runs with, here as in its container (infra/docker/api.Dockerfile)
 * and `npm start -w backend`: a young generation of 32 MiB semi-spaces instead of V8's 16, so a
 * busy API scavenges half as often (a read's garbage collection fell from 9% to 6% of the API's
 * CPU; docs/benchmarks.md "CPU per read").
 */
export const API_NODE_OPTIONS = ['--max-semi-space-size=32'];

export interface StackOptions {
  /** Everything the stack keeps: database files, objects, generated secrets. */
  dataDir: string;
  /** Where the API answers: the API itself, or with several instances their load balancer (Caddy). */
  apiPort: number;
  /**
   * How many API processes (default 1). With more than one, each listens on a free loopback port
   * and Caddy listens on `apiPort` in front of them (load-balancer.ts): an instance that dies is
   * left out, and the stack goes on while one is left.
   */
  apiInstances?: number;
  portalPort: number;
  postgresPort: number;
  s3Port: number;
  /** The embedded SMTP server's port (when SMTP_URL is not given). */
  smtpPort: number;
  /** Database name on the server (tests use a fresh one each run). */
  database: string;
  /** Taken from the environment: an administrative PostgreSQL URL, and an external S3. */
  env: NodeJS.ProcessEnv;
  /** Compile shared-types and the API first (skip when dist is known to be fresh). */
  build: boolean;
  log: (line: string) => void;
  /**
   * Runs the API and the portal in process groups of their own, so that a terminal's Ctrl-C
   * reaches only the caller, which stops them in order (`npm start`, whose watchdog stops
   * them should it die). Otherwise they share the caller's group and its signals.
   */
  ownProcessGroups?: boolean;
  /** Told of each process the stack starts, once it runs (`npm start` records them). */
  onProcessStarted?: (part: StackProcess) => Promise<void> | void;
  /** Told when a part exits while the stack is not being stopped. */
  onPartExited?: (part: StackProcess, how: string) => void;
}

export interface StackProcess {
  /** 'API' for a single instance; 'API 1', 'API 2'… and 'Caddy' with several. */
  name: string;
  pid: number;
  stopSignal: NodeJS.Signals;
  /** Runs in a process group of its own (signal the group). */
  isGroup: boolean;
}

export interface RunningStack {
  portalUrl: string;
  apiUrl: string;
  /** Each API process, addressed directly (one, at apiUrl, without several instances). */
  apiInstances: ApiInstance[];
  swaggerUrl: string;
  s3Endpoint: string;
  /** Administrative PostgreSQL URL of the server the stack uses. */
  databaseAdminUrl: string;
  /** The owner URL of the stack's database, as the operator's command-line steps use it (create-auditor, create-operator). */
  databaseOwnerUrl: string;
  /** The folder the embedded SMTP server keeps mail in (read it with mail/mailbox.ts); null with an external SMTP_URL. */
  mailDir: string | null;
  /**
   * The public half of the key directory's log key (SPKI, base64url): the portal is built with it
   * (VITE_KEY_LOG_PUBLIC_KEY) and checks every tree head against it. A portal built elsewhere for
   * this stack (`vite build`) must be given it too.
   */
  keyLogPublicKey: string;
  stop(): Promise<void>;
}

export interface ApiInstance {
  name: string;
  url: string;
  pid: number;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const stops: Array<() => Promise<void>> = [];
  let isStopping = false;
  const stop = async () => {
    isStopping = true;
    for (const stopOne of stops.splice(0).reverse()) await stopOne().catch((error: unknown) => options.log(`stop failed: ${String(error)}`));
  };
  const watch = async (part: StackProcess, exited: Promise<string>) => {
    await options.onProcessStarted?.(part);
    void exited.then((how) => {
      if (!isStopping) options.onPartExited?.(part, how);
    });
  };
  try {
    return await startAll(options, stops, stop, watch, () => isStopping);
  } catch (error) {
    await stop();
    throw error;
  }
}

type Watch = (part: StackProcess, exited: Promise<string>) => Promise<void>;

async function startAll(
  options: StackOptions,
  stops: Array<() => Promise<void>>,
  stop: () => Promise<void>,
  watch: Watch,
  isStopping: () => boolean,
): Promise<RunningStack> {
  const { env, log } = options;
  // Before anything starts: several instances need Caddy.
  if ((options.apiInstances ?? 1) > 1) assertCaddyInstalled(options.apiInstances ?? 1);
  const secrets = await loadOrCreateSecrets(options.dataDir);
  for (const [name, port, setting] of [['API', options.apiPort, 'PHR_API_PORT'], ['portal', options.portalPort, 'PHR_PORTAL_PORT']] as const) {
    if (await isListening(port)) throw portInUse(port, name, setting);
  }

  let adminUrl = env.DATABASE_URL;
  if (adminUrl) {
    log(`PostgreSQL: using DATABASE_URL (${redact(adminUrl)})`);
  } else {
    if (await isListening(options.postgresPort)) throw portInUse(options.postgresPort, 'PostgreSQL', 'PHR_POSTGRES_PORT');
    const postgres: RunningPostgres = await startEmbeddedPostgres({
      dataDir: path.join(options.dataDir, 'postgres'),
      port: options.postgresPort,
      password: secrets.postgresPassword,
      notice: log,
    });
    stops.push(() => postgres.stop());
    await watch({ name: 'PostgreSQL', pid: postgres.pid, stopSignal: 'SIGINT', isGroup: false }, postgres.exited.then(() => 'exited'));
    adminUrl = postgres.adminUrl;
    log(`PostgreSQL: embedded, data in ${path.join(options.dataDir, 'postgres')}`);
  }
  const { ownerUrl, appUrl } = await provisionDatabase(adminUrl, {
    database: options.database,
    ownerPassword: secrets.ownerPassword,
    appPassword: secrets.appPassword,
  });
  const applied = await runMigrations(ownerUrl);
  log(applied.length ? `Migrations applied: ${applied.join(', ')}` : 'Database schema is up to date');

  const portalOrigin = `http://localhost:${options.portalPort}`;
  const s3 = await objectStoreFor(options, secrets, [portalOrigin, `http://127.0.0.1:${options.portalPort}`], stops);
  const mail = await mailServerFor(options, stops);

  if (options.build) {
    log('Compiling shared-types and the API…');
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'shared-types'], REPO_ROOT);
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'backend/tsconfig.build.json'], REPO_ROOT);
  }

  // The log key of this data folder, kept like the other secrets: a log is signed by one key for its whole life.
  const keyLogPublicKey = keyLogPublicKeyOf(secrets.keyLogSigningKey);
  const apiUrl = `http://127.0.0.1:${options.apiPort}`;
  const instanceCount = options.apiInstances ?? 1;
  const apiEnv: NodeJS.ProcessEnv = {
    PATH: env.PATH,
    HOST: '127.0.0.1',
    DATABASE_URL: appUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_PUBLIC_ENDPOINT: s3.publicEndpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    JWT_SECRET: secrets.jwtSecret,
    PRELOGIN_SECRET: secrets.preloginSecret,
    KEY_LOG_SIGNING_KEY: secrets.keyLogSigningKey,
    KEY_LOG_PUBLIC_KEY: keyLogPublicKey,
    PORTAL_ORIGIN: portalOrigin,
    COOKIE_SECURE: 'true',
    SMTP_URL: mail.smtpUrl,
    MAIL_FROM: mail.from,
    // Behind Caddy, the client's address is the X-Forwarded-For Caddy sets (it replaces any the client sent).
    ...(instanceCount > 1 ? { TRUST_PROXY: 'true' } : {}),
    ...pick(env, API_TUNABLES),
  };
  const apiInstances = await startApiInstances(options, instanceCount, apiEnv, stops, watch, isStopping);

  const portal = startChild('portal', process.execPath, [path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), '--strictPort'], {
    cwd: path.join(REPO_ROOT, 'frontend'),
    log,
    ownProcessGroup: options.ownProcessGroups,
    env: {
      PATH: env.PATH,
      API_URL: apiUrl,
      PORTAL_PORT: String(options.portalPort),
      S3_PUBLIC_ENDPOINT: s3.publicEndpoint,
      VITE_KEY_LOG_PUBLIC_KEY: keyLogPublicKey,
      NODE_ENV: 'development',
    },
  });
  stops.push(() => stopChild(portal));
  await watchChild(portal, 'portal', watch);
  const portalUrl = `http://localhost:${options.portalPort}`;
  await waitForHttp(`http://127.0.0.1:${options.portalPort}/`, 60_000, portal);

  return {
    portalUrl,
    apiUrl,
    apiInstances,
    swaggerUrl: `${apiUrl}/api/docs`,
    s3Endpoint: s3.endpoint,
    databaseAdminUrl: adminUrl,
    databaseOwnerUrl: ownerUrl,
    mailDir: mail.dir,
    keyLogPublicKey,
    stop,
  };
}

/** The mails of a stack with the embedded SMTP server (registration links for scripts that register through the API). */
export function stackMailbox(stack: RunningStack): Mailbox {
  if (!stack.mailDir) throw new Error('This stack sends mail through SMTP_URL: its mails are not on this machine');
  return new Mailbox(stack.mailDir);
}

/**
 * The API: one process on `apiPort`, or `count` processes on free loopback ports with Caddy on
 * `apiPort` in front. With several, an instance that dies is only logged while another runs
 * (Caddy leaves it out); the last one's death, or Caddy's, stops the stack as any part's does.
 */
async function startApiInstances(
  options: StackOptions,
  count: number,
  apiEnv: NodeJS.ProcessEnv,
  stops: Array<() => Promise<void>>,
  watch: Watch,
  isStopping: () => boolean,
): Promise<ApiInstance[]> {
  const { env, log } = options;
  // PHR_API_NODE_ARGS: extra Node options for the API process only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (docs/benchmarks.md "Profiling").
  const apiNodeArgs = env.PHR_API_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const instances: ApiInstance[] = [];
  let running = count;
  for (let index = 1; index <= count; index++) {
    const name = count === 1 ? 'API' : `API ${index}`;
    const port = count === 1 ? options.apiPort : await freePort();
    const api = startChild(count === 1 ? 'api' : `api-${index}`, process.execPath, [...API_NODE_OPTIONS, ...apiNodeArgs, 'backend/dist/main.js'], {
      cwd: REPO_ROOT,
      log,
      ownProcessGroup: options.ownProcessGroups,
      env: { ...apiEnv, PORT: String(port) },
    });
    stops.push(() => stopChild(api));
    const partWatch: Watch =
      count === 1
        ? watch
        : (part, exited) =>
            watch(
              part,
              exited.then(async (how) => {
                running -= 1;
                if (running > 0 && !isStopping()) {
                  log(`${part.name} (pid ${part.pid}) ${how}; Caddy sends its requests to the ${running} instance(s) left.`);
                  // Not a part's end for the caller while another instance serves.
                  return new Promise<string>(() => undefined);
                }
                return how;
              }),
            );
    await watchChild(api, name, partWatch);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/api/health`, 60_000, api);
    instances.push({ name, url, pid: api.process.pid ?? 0 });
  }
  if (count === 1) return instances;

  const caddy = await startLoadBalancer({
    repoRoot: REPO_ROOT,
    dir: path.join(options.dataDir, 'caddy'),
    port: options.apiPort,
    upstreams: instances.map((instance) => new URL(instance.url).host),
    log,
    ownProcessGroup: options.ownProcessGroups,
  });
  stops.push(() => stopChild(caddy));
  await watchChild(caddy, 'Caddy', watch);
  log(`API: ${count} instances (${instances.map((instance) => new URL(instance.url).host).join(', ')}) behind Caddy on 127.0.0.1:${options.apiPort}`);
  return instances;
}

function watchChild(child: Child, name: string, watch: Watch): Promise<void> {
  const exited = child.exited.then(() => {
    const { exitCode, signalCode } = child.process;
    return signalCode ? `was killed (${signalCode})` : `exited with code ${exitCode}`;
  });
  return watch({ name, pid: child.process.pid ?? 0, stopSignal: 'SIGTERM', isGroup: child.ownProcessGroup }, exited);
}

interface ObjectStoreSettings {
  endpoint: string;
  publicEndpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

async function objectStoreFor(
  options: StackOptions,
  secrets: { s3AccessKey: string; s3SecretKey: string },
  corsOrigins: string[],
  stops: Array<() => Promise<void>>,
): Promise<ObjectStoreSettings> {
  const { env, log } = options;
  if (env.S3_ENDPOINT) {
    log(`Object store: using S3_ENDPOINT (${env.S3_ENDPOINT})`);
    return {
      endpoint: env.S3_ENDPOINT,
      publicEndpoint: env.S3_PUBLIC_ENDPOINT ?? env.S3_ENDPOINT,
      accessKey: env.S3_ACCESS_KEY ?? '',
      secretKey: env.S3_SECRET_KEY ?? '',
      bucket: env.S3_BUCKET ?? DEFAULT_BUCKET,
      region: env.S3_REGION ?? 'us-east-1',
    };
  }
  if (await isListening(options.s3Port)) throw portInUse(options.s3Port, 'object store', 'PHR_S3_PORT');
  const store: RunningObjectStore = await startObjectStore({
    dataDir: path.join(options.dataDir, 'objects'),
    port: options.s3Port,
    accessKey: secrets.s3AccessKey,
    secretKey: secrets.s3SecretKey,
    buckets: [{ name: DEFAULT_BUCKET, corsOrigins }],
    log,
  });
  stops.push(() => store.stop());
  log(`Object store: embedded (signature-checking), data in ${path.join(options.dataDir, 'objects')}`);
  return { endpoint: store.endpoint, publicEndpoint: store.endpoint, accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey, bucket: DEFAULT_BUCKET, region: 'us-east-1' };
}

const LOCAL_MAIL_FROM = 'Health Records <no-reply@phr.localhost>';

/**
 * SMTP_URL (with MAIL_FROM) sends through a real server. Otherwise an SMTP
 * server on 127.0.0.1 keeps each mail in <data>/mail and prints its subject
 * and link here, so whoever registers locally finds the link in the terminal.
 */
async function mailServerFor(options: StackOptions, stops: Array<() => Promise<void>>): Promise<{ smtpUrl: string; from: string; dir: string | null }> {
  const { env, log } = options;
  if (env.SMTP_URL) {
    log(`Mail: sending through SMTP_URL (${redact(env.SMTP_URL)})`);
    return { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM ?? LOCAL_MAIL_FROM, dir: null };
  }
  if (await isListening(options.smtpPort)) throw new Error(`Port ${options.smtpPort} (SMTP) is already in use; set PHR_SMTP_PORT`);
  const dir = path.join(options.dataDir, 'mail');
  const catcher = await startMailCatcher({
    dir,
    port: options.smtpPort,
    onMail: (mail) => {
      const link = linkIn(mail);
      log(`Mail to ${mail.to.join(', ')}: "${mail.subject}"${link ? `\n  Open: ${link}` : ''}`);
    },
  });
  stops.push(() => catcher.stop());
  log(`Mail: embedded SMTP server on 127.0.0.1:${options.smtpPort}, mails kept in ${dir} and shown here`);
  return { smtpUrl: catcher.smtpUrl, from: env.MAIL_FROM ?? LOCAL_MAIL_FROM, dir };
}

/** Settings of the API a user may give `npm start` in the environment (docs/running.md). */
const API_TUNABLES = [
  'RECORD_MAX_BYTES',
  'UPLOAD_URL_SECONDS',
  'DOWNLOAD_URL_SECONDS',
  'UPLOAD_GRACE_SECONDS',
  'SWEEP_INTERVAL_SECONDS',
  'RECONCILE_INTERVAL_SECONDS',
  'NOTIFICATION_MAIL_INTERVAL_SECONDS',
  'NOTIFICATION_MAIL_GAP_SECONDS',
  'REQUEST_TIMEOUT_MS',
  'CONNECTION_TIMEOUT_MS',
  'KEEP_ALIVE_TIMEOUT_MS',
  'SESSION_IDLE_SECONDS',
  'SESSION_MAX_SECONDS',
  'RATE_LIMIT_REQUESTS',
  'RATE_LIMIT_WINDOW_SECONDS',
  'RATE_LIMIT_REGISTRATIONS',
  'RATE_LIMIT_REGISTRATION_WINDOW_SECONDS',
  'RATE_LIMIT_REGISTRATION_MAILS',
  'RATE_LIMIT_REGISTRATION_MAIL_WINDOW_SECONDS',
  'REGISTRATION_LINK_SECONDS',
  'RATE_LIMIT_DOCTOR_SEARCHES',
  'RATE_LIMIT_DOCTOR_SEARCH_WINDOW_SECONDS',
  'RATE_LIMIT_SECOND_FACTOR_ATTEMPTS',
  'RATE_LIMIT_SECOND_FACTOR_WINDOW_SECONDS',
  // Second factors (docs/running.md "Second factors").
  'REQUIRE_SECOND_FACTOR_ROLES',
  'TOTP_SECRET_KEY',
  // Streaming the audit trail to a SIEM (docs/running.md "Streaming audit events to a SIEM").
  'SIEM_MODE',
  'SIEM_SYSLOG_HOST',
  'SIEM_SYSLOG_PORT',
  'SIEM_SYSLOG_CA_FILE',
  'SIEM_SYSLOG_CERT_FILE',
  'SIEM_SYSLOG_KEY_FILE',
  'SIEM_SYSLOG_APP_NAME',
  'SIEM_SYSLOG_HOSTNAME',
  'SIEM_SYSLOG_TIMEOUT_MS',
  'SIEM_NDJSON_FILE',
  'SIEM_INTERVAL_MS',
  'SIEM_BATCH_SIZE',
  'SIEM_MAX_BACKOFF_MS',
] as const;

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
