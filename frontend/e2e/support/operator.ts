/**
 * What an operator (or whoever steals the servers' data) can read: every
 * object in the store and every row in the database.
 */
import { Client } from 'minio';
import pg from 'pg';

const BUCKET = 'phr-records';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser suite through Jest`);
  return value;
}

export function storeClient(): Client {
  const endpoint = new URL(requiredEnv('E2E_S3_ENDPOINT'));
  return new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: endpoint.protocol === 'https:',
    accessKey: requiredEnv('E2E_S3_ACCESS_KEY'),
    secretKey: requiredEnv('E2E_S3_SECRET_KEY'),
    region: 'us-east-1',
    pathStyle: true,
  });
}

export async function objectKeys(prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of storeClient().listObjectsV2(BUCKET, prefix, true) as AsyncIterable<{ name?: string }>) {
    if (item.name) keys.push(item.name);
  }
  return keys;
}

export async function readObject(key: string): Promise<Buffer> {
  const stream = await storeClient().getObject(BUCKET, key);
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export async function writeObject(key: string, body: Buffer): Promise<void> {
  await storeClient().putObject(BUCKET, key, body, body.length);
}

/** Every row of every table in the public schema, as text. */
export async function dumpDatabase(): Promise<string> {
  const client = new pg.Client({ connectionString: requiredEnv('E2E_DATABASE_URL') });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    const dumps: string[] = [];
    for (const { tablename } of tables) {
      const { rows } = await client.query(`SELECT * FROM "${tablename}"`);
      dumps.push(`${tablename}: ${JSON.stringify(rows)}`);
    }
    return dumps.join('\n');
  } finally {
    await client.end();
  }
}

export async function withDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: requiredEnv('E2E_DATABASE_URL') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** How many of the account's refresh token families (signed-in browsers) have not ended, as the database says. */
export async function openFamilies(account: { email: string }): Promise<number> {
  const { rows } = await withDatabase((client) =>
    client.query<{ count: string }>(
      'SELECT count(DISTINCT family_id) AS count FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.revoked_at IS NULL',
      [account.email],
    ),
  );
  return Number(rows[0].count);
}
