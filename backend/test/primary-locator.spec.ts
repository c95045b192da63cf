/**
 * How the API finds the writable primary among the hosts DATABASE_URL lists (db/primary-locator.ts),
 * against the test run's real PostgreSQL: hosts that refuse connections, hosts that are read-only,
 * and a remembered primary that goes away under an open pool. The whole failover, with a real
 * standby promoted by pg_auto_failover, is db-failover.spec.ts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '@phr/infra/local/ports.js';
import { databaseHostsOf } from '../src/config/database-url.js';
import { databaseUnavailableReason } from '../src/db/database-errors.js';
import { firstWritable, NoWritablePrimary, PrimaryLocator, primaryClient } from '../src/db/primary-locator.js';
import { waitUntil } from './support/wait-until.js';

const TIMEOUT_MS = 2000;

function adminUrl(): URL {
  const url = process.env.PHR_TEST_ADMIN_URL;
  if (!url) throw new Error('PHR_TEST_ADMIN_URL is not set: run the API suites through Jest (its global setup provides it)');
  return new URL(url);
}

/** The test server's URL with these `host:port` entries in place of its own, libpq's multi-host form. */
function hostsUrl(entries: string[], params: Record<string, string> = {}): string {
  const url = adminUrl();
  const query = new URLSearchParams({ ...Object.fromEntries(url.searchParams), ...params }).toString();
  const userInfo = `${url.username}${url.password ? `:${url.password}` : ''}@`;
  return `postgres://${userInfo}${entries.join(',')}${url.pathname}${query ? `?${query}` : ''}`;
}

const server = () => `${adminUrl().hostname}:${adminUrl().port || 5432}`;

/** A TCP relay to the test server on a port of its own: a database host that can be taken away. */
interface Relay {
  entry: string;
  connections: () => number;
  close(): Promise<void>;
}

const relays: Relay[] = [];

/** The server's first ReadyForQuery ('Z', length 5, idle): the end of a connection's start-up. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/** An ErrorResponse FATAL 57P01, as PostgreSQL sends each session when it shuts down. */
function adminShutdown(): Buffer {
  const fields = Buffer.concat([
    ...[`SFATAL`, `VFATAL`, `C57P01`, `Mterminating connection due to administrator command`].map((field) => Buffer.from(`${field}\0`)),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

/**
 * `afterStartup`: from its `fromConnection`th connection on, the relay sends `bytes` in the same
 * write as the server's first ReadyForQuery, then closes the connection (a server that ends the
 * session the moment its start-up is done).
 */
async function startRelay({ afterStartup }: { afterStartup?: { bytes: Buffer; fromConnection: number } } = {}): Promise<Relay> {
  const target = adminUrl();
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const relay = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream);
    if (!afterStartup || connections < afterStartup.fromConnection) {
      upstream.pipe(client);
      return;
    }
    let received = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const ready = received.indexOf(READY_FOR_QUERY);
      if (ready < 0) return;
      upstream.destroy();
      client.end(Buffer.concat([received.subarray(0, ready + READY_FOR_QUERY.length), afterStartup.bytes]));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
  const handle: Relay = {
    entry: `127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
  relays.push(handle);
  return handle;
}

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close().catch(() => undefined)));
});

describe('finding the writable primary among the hosts of DATABASE_URL', () => {
  it('takes the host that answers writable, past one that refuses connections', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const hosts = databaseHostsOf(hostsUrl([closed, server()], { target_session_attrs: 'read-write' }));
    expect(await firstWritable(hosts, TIMEOUT_MS)).toBe(hosts[1]);
  });

  it('finds no primary among hosts that are read-only or down, and that is the database being unavailable (503)', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    // Every session on the server read-only, as a standby's (or a primary pg_auto_failover holds read-only).
    const hosts = databaseHostsOf(hostsUrl([closed, server()], { options: '-c default_transaction_read_only=on' }));
    const failure = await firstWritable(hosts, TIMEOUT_MS).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NoWritablePrimary);
    const { message } = failure as NoWritablePrimary;
    expect(message).toContain(`${server()} is read-only`);
    expect(message).toContain(`${closed}: connect ECONNREFUSED`);
    expect(databaseUnavailableReason(failure)).toBe('08001');
  });

  it('sends a pool to the other host once the remembered primary is gone, and asks no host while it knows the primary', async () => {
    const [first, second] = [await startRelay(), await startRelay()];
    const hosts = databaseHostsOf(hostsUrl([first.entry, second.entry]));
    const notices: string[] = [];
    const locator = new PrimaryLocator(hosts, { timeoutMs: TIMEOUT_MS, notice: (message) => notices.push(message) });
    const pool = new pg.Pool({ connectionString: hosts[0].url, Client: primaryClient(locator), max: 2, connectionTimeoutMillis: TIMEOUT_MS });
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
      const primary = await locator.primary();
      const [gone, other] = primary === hosts[0] ? [first, second] : [second, first];
      const otherHost = primary === hosts[0] ? hosts[1] : hosts[0];
      // Both hosts were asked once (the search), the primary then took the pool's connection.
      await waitUntil('the search asking the other host too', () => other.connections() > 0);
      expect(gone.connections()).toBe(2);
      expect(other.connections()).toBe(1);
      // A second connection of the pool goes straight to the primary it knows.
      await Promise.all([pool.query('SELECT pg_sleep(0.05)'), pool.query('SELECT pg_sleep(0.05)')]);
      expect(pool.totalCount).toBe(2);
      expect([gone.connections(), other.connections()]).toEqual([3, 1]);

      await gone.close();
      // The pool's idle connection broke with it: the locator forgot that primary, and the next query finds the other.
      await waitUntil('the locator forgetting the primary', () => notices.some((notice) => notice.includes('dropped a connection')));
      const { rows } = await pool.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
      expect(rows).toEqual([{ transaction_read_only: 'off' }]);
      expect(await locator.primary()).toBe(otherHost);
      expect(notices.at(-1)).toBe(`Database primary is ${other.entry}`);
    } finally {
      await pool.end();
    }
  });

  it('forgets a primary whose server ends the session in the same read as its start-up, and answers the connect with the failure', async () => {
    // The FATAL arrives right behind ReadyForQuery: node-postgres has answered the connect and
    // reports the error at once, before anything awaiting that connect has run.
    // The locator's search (the first connection) finds the host writable; the client's is ended.
    const ending = await startRelay({ afterStartup: { bytes: adminShutdown(), fromConnection: 2 } });
    const hosts = databaseHostsOf(hostsUrl([ending.entry]));
    const notices: string[] = [];
    const locator = new PrimaryLocator(hosts, { timeoutMs: TIMEOUT_MS, notice: (message) => notices.push(message) });
    expect(await locator.primary()).toBe(hosts[0]);
    const Client = primaryClient(locator);
    const client = new Client({ connectionString: hosts[0].url });
    await expect(client.connect()).rejects.toThrow(/not queryable|Connection terminated|administrator command/);
    expect(notices).toContainEqual(expect.stringContaining('dropped a connection (terminating connection due to administrator command)'));
  });

  it('forgets a primary that refuses a new connection, so that the connection after it looks again', async () => {
    const [first, second] = [await startRelay(), await startRelay()];
    const hosts = databaseHostsOf(hostsUrl([first.entry, second.entry]));
    const locator = new PrimaryLocator(hosts, { timeoutMs: TIMEOUT_MS });
    const primary = await locator.primary();
    const [gone, otherHost] = primary === hosts[0] ? [first, hosts[1]] : [second, hosts[0]];
    await gone.close();
    const Client = primaryClient(locator);
    const refused = new Client({ connectionString: hosts[0].url });
    refused.on('error', () => undefined);
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const client = new Client({ connectionString: hosts[0].url });
    await client.connect();
    try {
      expect(await locator.primary()).toBe(otherHost);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});
