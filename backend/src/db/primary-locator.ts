/**
 * Automatic failover (docs/running.md "Automatic failover"): when DATABASE_URL lists several
 * hosts (the nodes of a pg_auto_failover formation), every new pool connection goes to the one
 * that takes writes now. node-postgres connects to one host only, so the pools get a Client
 * class of their own (`primaryClient`) that asks a shared PrimaryLocator where to connect.
 *
 * The locator remembers the primary it found. A connection that cannot be made there, that
 * breaks, or that finds the server read-only makes it forget; the next connection asks every
 * host at once (`SHOW transaction_read_only`, libpq's target_session_attrs=read-write test) and
 * takes the first that is writable. While no host is (the standby is being promoted, and
 * pg_auto_failover keeps it read-only until the old primary is surely demoted), connecting fails
 * with SQLSTATE 08001, which the API answers 503 with Retry-After like any database outage.
 */
import pg from 'pg';
import type { DatabaseHost } from '../config/database-url.js';
import { answerConnect, type ConnectCallback } from './client-connect.js';

/** `off` on a writable server; `on` on a standby and on a primary pg_auto_failover holds read-only. */
const READ_ONLY_CHECK = 'SHOW transaction_read_only';

/** Connecting found no writable host (sqlclient_unable_to_establish_sqlconnection). */
export class NoWritablePrimary extends Error {
  readonly code = '08001';
}

export interface PrimaryLocatorOptions {
  /** Longest wait for each host's answer when looking for the primary. */
  timeoutMs: number;
  /** Told when the primary changes (found, or forgotten). */
  notice?: (message: string) => void;
}

export class PrimaryLocator {
  private known: DatabaseHost | null = null;
  private search: Promise<DatabaseHost> | null = null;

  constructor(
    readonly hosts: readonly DatabaseHost[],
    private readonly options: PrimaryLocatorOptions,
  ) {}

  /** The primary found last, or the one a search finds now (one search at a time, shared). */
  primary(): Promise<DatabaseHost> {
    if (this.known) return Promise.resolve(this.known);
    this.search ??= this.find().finally(() => (this.search = null));
    return this.search;
  }

  /** `host` failed as primary: the next connection looks again (unless another was found meanwhile). */
  forget(host: DatabaseHost, why: string): void {
    if (this.known !== host) return;
    this.known = null;
    this.options.notice?.(`Database primary ${nameOf(host)} ${why}; looking for the primary among ${this.hosts.map(nameOf).join(', ')}`);
  }

  private async find(): Promise<DatabaseHost> {
    const host = await firstWritable(this.hosts, this.options.timeoutMs);
    this.known = host;
    this.options.notice?.(`Database primary is ${nameOf(host)}`);
    return host;
  }
}

/** The first of `hosts` to answer that it takes writes; NoWritablePrimary when none does. */
export function firstWritable(hosts: readonly DatabaseHost[], timeoutMs: number): Promise<DatabaseHost> {
  return new Promise((resolve, reject) => {
    if (hosts.length === 0) reject(new NoWritablePrimary('No database host to look for the primary on'));
    const refusals: string[] = [];
    for (const host of hosts) {
      isWritable(host, timeoutMs).then(
        (writable) => (writable ? resolve(host) : refusals.push(`${nameOf(host)} is read-only`)),
        (error: unknown) => refusals.push(`${nameOf(host)}: ${messageOf(error)}`),
      ).finally(() => {
        if (refusals.length === hosts.length) reject(new NoWritablePrimary(`No writable database primary (${refusals.join('; ')})`));
      });
    }
  });
}

async function isWritable(host: DatabaseHost, timeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: host.url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'phr-api-primary-check' });
  // A server that goes away mid-check must not become an uncaught 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await isWritableConnection(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function isWritableConnection(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ transaction_read_only: string }>(READ_ONLY_CHECK);
  return rows[0]?.transaction_read_only === 'off';
}

/** An error's message, also for errors made in another realm (not `instanceof Error` here). */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

function nameOf({ host, port }: DatabaseHost): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A node-postgres Client class (the pool's `Client` option) whose connections go to the
 * locator's primary and are checked to take writes before the pool hands them out.
 */
export function primaryClient(locator: PrimaryLocator): typeof pg.Client {
  return class PrimaryClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      return answerConnect(this.connectToPrimary(), callback);
    }

    private async connectToPrimary(): Promise<pg.Client> {
      const primary = await locator.primary();
      this.host = primary.host;
      this.port = primary.port;
      // A connection that breaks later (the primary crashed or was demoted) sends the next one looking. Listening
      // before connecting: an error in the same read as the end of the start-up is emitted before `connect` returns here.
      this.on('error', (error: Error) => locator.forget(primary, `dropped a connection (${error.message})`));
      try {
        await super.connect();
      } catch (error) {
        locator.forget(primary, `refused a connection (${messageOf(error)})`);
        throw error;
      }
      let writable: boolean;
      try {
        writable = await isWritableConnection(this);
      } catch (error) {
        locator.forget(primary, `failed a check (${messageOf(error)})`);
        await this.end().catch(() => undefined);
        throw error;
      }
      if (!writable) {
        locator.forget(primary, 'is read-only now');
        await this.end().catch(() => undefined);
        throw new NoWritablePrimary(`The database at ${nameOf(primary)} is read-only now (a standby, or a failover under way)`);
      }
      return this;
    }
  };
}
