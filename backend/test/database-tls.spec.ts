/**
 * ASVS 9.2.1 / 9.2.2: the API's connection to PostgreSQL can be TLS with the
 * server's certificate verified. TLS is set in DATABASE_URL the libpq way
 * (`sslmode=verify-full&sslrootcert=<CA file>`, docs/running.md). A throwaway
 * CA and server certificate are made with openssl, an embedded PostgreSQL
 * runs with ssl=on, and the API is started on it: PostgreSQL's own view
 * (pg_stat_ssl) shows the API's connections encrypted, and an API given
 * another CA does not start.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';
import { startObjectStore, type RunningObjectStore } from '@phr/infra/local/object-store/index.js';
import { freePort } from '@phr/infra/local/ports.js';
import { provisionDatabase, startEmbeddedPostgres, withClient, type RunningPostgres } from '@phr/infra/local/postgres.js';
import { startChild, stopChild } from '@phr/infra/local/processes.js';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/app-config.js';
import { runMigrations } from '../src/db/migrate.js';
import { COMPILED_API_DIR, REPO_ROOT } from './support/compile-api.js';
import { TEST_JWT_SECRET, TEST_MAIL_FROM } from './support/test-app.js';

jest.setTimeout(120_000);

interface Pki {
  dir: string;
  caFile: string;
  otherCaFile: string;
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA, a server certificate for localhost and 127.0.0.1 signed by it, and an unrelated second CA. */
async function makePki(dir: string): Promise<Pki> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const caExtensions = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=phr test CA', ...caExtensions], dir);
  openssl(['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '2', '-subj', '/CN=phr test CA', ...caExtensions], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await writeFile(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
  return { dir, caFile: path.join(dir, 'ca.crt'), otherCaFile: path.join(dir, 'other-ca.crt'), certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key') };
}

/** Under root the embedded server runs as the OS user postgres, which must own its key (mode 0600). */
function postgresOsUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
}

function withParams(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.toString();
}

describe('the API connects to PostgreSQL over verified TLS (ASVS 9.2.1, 9.2.2)', () => {
  let pki: Pki;
  let postgres: RunningPostgres | undefined;
  let appUrl: string;
  let adminUrl: string;
  let store: RunningObjectStore | undefined;
  const storeSecret = randomBytes(20).toString('hex');
  const keyLogSigningKey = newKeyLogSigningKey();
  const apiEnv = (databaseUrl: string) => ({
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '2',
    S3_ENDPOINT: store?.endpoint ?? 'http://127.0.0.1:9',
    S3_ACCESS_KEY: 'test-access-key',
    S3_SECRET_KEY: storeSecret,
    JWT_SECRET: TEST_JWT_SECRET,
    PRELOGIN_SECRET: randomBytes(32).toString('base64'),
    COOKIE_SECURE: 'false',
    SWEEP_INTERVAL_SECONDS: '0',
    // No mail is sent here; nothing listens on the discard port.
    SMTP_URL: 'smtp://127.0.0.1:9',
    MAIL_FROM: TEST_MAIL_FROM,
    KEY_LOG_SIGNING_KEY: keyLogSigningKey,
  });

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phr-pg-tls-'));
    await chmod(dir, 0o755);
    const password = randomBytes(12).toString('hex');
    const serverOptions = { dataDir: path.join(dir, 'data'), port: await freePort(), password };
    if (process.getuid?.() === 0 && !postgresOsUser()) {
      // The first start creates the OS user postgres; the key is then given to it.
      await (await startEmbeddedPostgres(serverOptions)).stop();
    }
    pki = await makePki(dir);
    const owner = postgresOsUser();
    if (owner) await chown(pki.keyFile, owner.uid, owner.gid);
    await chmod(pki.keyFile, 0o600);
    postgres = await startEmbeddedPostgres({
      ...serverOptions,
      postgresFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${pki.certFile}`, '-c', `ssl_key_file=${pki.keyFile}`, '-c', 'ssl_min_protocol_version=TLSv1.2'],
    });
    adminUrl = postgres.adminUrl;
    const database = await provisionDatabase(adminUrl, { database: 'phr_tls', ownerPassword: 'owner-tls', appPassword: 'app-tls' });
    await runMigrations(withParams(database.ownerUrl, { sslmode: 'verify-full', sslrootcert: pki.caFile }));
    appUrl = database.appUrl;
    store = await startObjectStore({ dataDir: path.join(dir, 'objects'), port: 0, accessKey: 'test-access-key', secretKey: storeSecret, buckets: [{ name: 'phr-records', corsOrigins: [] }] });
  });

  afterAll(async () => {
    await store?.stop();
    await postgres?.stop();
    if (pki) await rm(pki.dir, { recursive: true, force: true });
  });

  it('connects with sslmode=verify-full against the CA, and PostgreSQL sees every API connection encrypted', async () => {
    const config = loadConfig(apiEnv(withParams(appUrl, { sslmode: 'verify-full', sslrootcert: pki.caFile })));
    const app: NestFastifyApplication = await createApp(config, { logger: false });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.getHttpServer().address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(health.status).toBe(200);

      const connections = await withClient(adminUrl, async (admin) =>
        (
          await admin.query<{ ssl: boolean; version: string | null; cipher: string | null }>(
            `SELECT s.ssl, s.version, s.cipher FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
              WHERE a.usename = 'phr_app' AND a.application_name = 'phr-api'`,
          )
        ).rows,
      );
      expect(connections.length).toBeGreaterThan(0);
      for (const connection of connections) {
        expect(connection.ssl).toBe(true);
        expect(['TLSv1.2', 'TLSv1.3']).toContain(connection.version);
      }
    } finally {
      await app.close();
    }
  });

  it('does not start when the server certificate is not signed by the CA it was given', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const child = startChild('api-wrong-ca', process.execPath, [`${COMPILED_API_DIR}/main.js`], {
      cwd: REPO_ROOT,
      log: (line) => lines.push(line),
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...apiEnv(withParams(appUrl, { sslmode: 'verify-full', sslrootcert: pki.otherCaFile })) },
    });
    let stillRunning = false;
    const timer = setTimeout(() => {
      stillRunning = true;
      void stopChild(child);
    }, 30_000);
    const code = await child.exited;
    clearTimeout(timer);
    expect(stillRunning).toBe(false);
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toMatch(/certificate/i);
    // The refusal is TLS's, not the server's: the same server accepts the API with the right CA (test above).
    const connections = await withClient(adminUrl, async (admin) => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE usename = 'phr_app'`)).rowCount);
    expect(connections).toBe(0);
  });

  it('refuses at start a DATABASE_URL whose TLS settings would not verify, or whose CA file is missing', () => {
    const base = apiEnv(appUrl);
    expect(() => loadConfig({ ...base, DATABASE_URL: withParams(appUrl, { sslmode: 'prefer' }) })).toThrow(/DATABASE_URL sslmode must be one of disable, require, verify-ca, verify-full/);
    expect(() => loadConfig({ ...base, DATABASE_URL: withParams(appUrl, { sslmode: 'no-verify' }) })).toThrow(/DATABASE_URL sslmode must be one of/);
    expect(() => loadConfig({ ...base, DATABASE_URL: withParams(appUrl, { sslmode: 'require', uselibpqcompat: 'true' }) })).toThrow(/uselibpqcompat is not supported/);
    expect(() => loadConfig({ ...base, DATABASE_URL: withParams(appUrl, { sslmode: 'verify-full', sslrootcert: path.join(pki.dir, 'missing.crt') }) })).toThrow(
      /DATABASE_URL sslrootcert .*missing\.crt cannot be read \(ENOENT\)/,
    );
    expect(loadConfig({ ...base, DATABASE_URL: withParams(appUrl, { sslmode: 'verify-full', sslrootcert: pki.caFile }) }).database.url).toContain('sslmode=verify-full');
  });
});
