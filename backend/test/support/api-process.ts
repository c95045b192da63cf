/**
 * A second API as its own operating-system process (the compiled API, as a
 * deployment runs it) on a test app's database and object store: for tests
 * of what several API processes do to shared state.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '@phr/infra/local/ports.js';
import { startChild, stopChild, waitForHttp } from '@phr/infra/local/processes.js';
import { COMPILED_API_DIR, REPO_ROOT } from './compile-api.js';
import { TEST_JWT_SECRET, UNTHROTTLED_RATE_LIMITS, type TestApp } from './test-app.js';


export interface ApiProcess {
  baseUrl: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill ends a process: no shutdown hook runs. */
  kill(): Promise<void>;
}

/** `env` adds to or overrides the settings the second API shares with the first. */
export async function startApiProcess(api: TestApp, env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const lines: string[] = [];
  const child = startChild('api-2', process.execPath, [`${COMPILED_API_DIR}/main.js`], {
    cwd: REPO_ROOT,
    log: (line) => lines.push(line),
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: api.database.appUrl,
      DATABASE_POOL_SIZE: '5',
      S3_ENDPOINT: api.store.endpoint,
      S3_ACCESS_KEY: api.config.s3.accessKey,
      S3_SECRET_KEY: api.config.s3.secretKey,
      S3_BUCKET: api.config.s3.bucket,
      JWT_SECRET: TEST_JWT_SECRET,
      PRELOGIN_SECRET: randomBytes(32).toString('base64'),
      COOKIE_SECURE: 'false',
      PORTAL_ORIGIN: api.config.portalOrigin,
      SMTP_URL: api.config.mail.smtpUrl.href,
      MAIL_FROM: api.config.mail.from,
      SWEEP_INTERVAL_SECONDS: '0',
      // The same log key: a log is signed by one key for its whole life.
      KEY_LOG_SIGNING_KEY: api.config.keyLog.signingKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url'),
      ...UNTHROTTLED_RATE_LIMITS,
      ...env,
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  // A ceiling for a loaded machine (a start has taken over a minute at a load average of 20), not a wait.
  await waitForHttp(`${baseUrl}/api/health`, 100_000, child).catch((error: unknown) => {
    throw new Error(`The second API did not start: ${String(error)}\n${lines.join('\n')}`);
  });
  return {
    baseUrl,
    stop: () => stopChild(child),
    kill: async () => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return;
      child.process.kill('SIGKILL');
      await child.exited;
    },
  };
}
