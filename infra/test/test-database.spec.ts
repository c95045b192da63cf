import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import pg from 'pg';
import { createTemplate, createTestDatabase, dropDatabase, startTestServer, type TestServer } from '../local/test-database.js';

describe('test databases', () => {
  let server: TestServer;
  let template: string;

  beforeAll(async () => {
    server = await startTestServer();
    template = await createTemplate(server.adminUrl, async () => undefined);
  });
  afterAll(async () => {
    await dropDatabase(server.adminUrl, template);
    await server.stop();
  });

  it('drops a copy only once the connections of an ended pool have gone, so none of them is terminated', async () => {
    const database = await createTestDatabase(server.adminUrl, template);
    // A busy machine, made certain: what the pool sends reaches PostgreSQL 300 ms late.
    const relay = await startDelayingRelay(new URL(database.adminUrl), 300);
    const pool = new pg.Pool({ connectionString: relay.url, max: 2 });
    const terminations: Error[] = [];
    pool.on('error', (error) => terminations.push(error));
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 2')]);
    // Resolves once the pool has asked its connections to close, not once they have closed.
    await pool.end();

    await database.drop();

    await relay.closed();
    expect(terminations).toEqual([]);
  }, 60_000);

  it('fails the drop, naming the connection, when a test left one open', async () => {
    const database = await createTestDatabase(server.adminUrl, template);
    const forgotten = new pg.Client({ connectionString: database.appUrl, application_name: 'forgotten-by-a-test' });
    const errors: Error[] = [];
    const terminated = new Promise<void>((resolve) => forgotten.on('error', (error) => resolve(void errors.push(error))));
    await forgotten.connect();

    await expect(dropDatabase(server.adminUrl, database.name, 500)).rejects.toThrow(/phr_app "forgotten-by-a-test" \(idle\)/);

    await terminated;
    expect(errors[0].message).toContain('terminating connection due to administrator command');
    const left = new pg.Client({ connectionString: server.adminUrl });
    await left.connect();
    expect((await left.query('SELECT 1 FROM pg_database WHERE datname = $1', [database.name])).rowCount).toBe(0);
    await left.end();
  });
});

/**
 * A TCP relay to PostgreSQL that holds what the client sends for `delayMs` before passing it
 * on; answers come back at once. `closed()` resolves when every relayed connection has ended.
 */
async function startDelayingRelay(target: URL, delayMs: number): Promise<{ url: string; closed(): Promise<void> }> {
  const connections: Array<Promise<void>> = [];
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port || 5432), allowHalfOpen: true });
    connections.push(new Promise((resolve) => client.once('close', () => resolve())));
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delayMs));
    client.on('end', () => setTimeout(() => upstream.end(), delayMs));
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    closed: async () => {
      await Promise.all(connections);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
