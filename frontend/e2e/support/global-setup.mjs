// Plain ESM for the same reason as the API suites' global setup: Jest loads it
// outside its module pipeline. It starts the whole product the way `npm start`
// does (same code), on free ports, with a throw-away data folder and database.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const E2E_RECORD_MAX_BYTES = 80 * 1024 * 1024;

export default async function globalSetup() {
  const { startTestServer } = await tsImport('@phr/infra/local/test-database.ts', import.meta.url);
  const { freePort } = await tsImport('@phr/infra/local/ports.ts', import.meta.url);
  const { startStack } = await tsImport('@phr/infra/local/stack.ts', import.meta.url);
  const { withDatabase } = await tsImport('@phr/infra/local/postgres.ts', import.meta.url);
  const { loadOrCreateSecrets } = await tsImport('@phr/infra/local/local-secrets.ts', import.meta.url);

  const server = await startTestServer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-e2e-'));
  const database = `phr_e2e_${randomBytes(5).toString('hex')}`;
  const logs = [];
  const stack = await startStack({
    dataDir,
    apiPort: await freePort(),
    portalPort: await freePort(),
    postgresPort: await freePort(),
    s3Port: await freePort(),
    smtpPort: await freePort(),
    database,
    // A small file limit, so the browser suite can show the refusal with a file it can make.
    // Every browser test registers and calls from 127.0.0.1: rate limits out of reach (ASVS 8.1.4 is shown by the API suite).
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: server.adminUrl,
      RECORD_MAX_BYTES: String(E2E_RECORD_MAX_BYTES),
      RATE_LIMIT_REQUESTS: '10000000',
      RATE_LIMIT_REGISTRATIONS: '10000000',
      RATE_LIMIT_REGISTRATION_MAILS: '10000000',
      // Notification mails go out as in production, every second here: notifications.spec.ts follows one
      // through the stack's SMTP server; tests that wait for another mail to an account ask for its subject.
      NOTIFICATION_MAIL_INTERVAL_SECONDS: '1',
    },
    build: true,
    log: (line) => logs.push(line),
  }).catch((error) => {
    console.error(logs.join('\n'));
    throw error;
  });
  globalThis.phrE2e = { server, stack, dataDir, database };
  process.env.E2E_PORTAL_URL = stack.portalUrl;
  process.env.E2E_API_URL = stack.apiUrl;
  process.env.E2E_RECORD_MAX_BYTES = String(E2E_RECORD_MAX_BYTES);
  process.env.E2E_DATABASE_URL = withDatabase(server.adminUrl, database);
  // For a spec that starts a stack of its own with other settings (second-factor.spec.ts): the server, and this
  // stack's data folder, whose secrets (the database roles' passwords among them) a second stack must share.
  process.env.E2E_POSTGRES_ADMIN_URL = server.adminUrl;
  process.env.E2E_DATA_DIR = dataDir;
  // Registration mails, as the stack's SMTP server keeps them: the browser tests follow their links.
  process.env.E2E_MAIL_DIR = stack.mailDir;
  // The public half of the stack's key-directory log key, as the portal was built with it.
  process.env.E2E_KEY_LOG_PUBLIC_KEY = stack.keyLogPublicKey;
  // The store as an operator (or an attacker with the store's keys) reaches it: for tests that inspect or damage objects.
  const secrets = await loadOrCreateSecrets(dataDir);
  process.env.E2E_S3_ENDPOINT = stack.s3Endpoint;
  process.env.E2E_S3_ACCESS_KEY = secrets.s3AccessKey;
  process.env.E2E_S3_SECRET_KEY = secrets.s3SecretKey;
  // The log key itself, which a lying server holds: the lying-server harness signs forged tree heads with it.
  process.env.E2E_KEY_LOG_SIGNING_KEY = secrets.keyLogSigningKey;
}
