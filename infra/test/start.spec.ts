import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES, type SessionResponse } from '@phr/shared-types';
import { registration, uniqueEmail } from '../../backend/test/support/factories.js';
import { freePort, isListening } from '../local/ports.js';
import { REPO_ROOT } from '../local/stack.js';

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** `npm start`, exactly: the same script, no DATABASE_URL or S3_* (embedded defaults). */
function npmStart(env: NodeJS.ProcessEnv): Promise<Started> {
  // As package.json's start script: tsx as a loader in the same process (its CLI wrapper
  // would SIGKILL the child when a signal is not acknowledged within 30 ms).
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 150_000);
    const check = setInterval(() => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}:\n${output}`));
    });
  });
}

/** Waits until the output matches `pattern` (the catcher prints a mail as soon as it has it). */
function outputMatching(started: Started, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(check);
      reject(new Error(`no output matched ${pattern}:\n${started.output()}`));
    }, 30_000);
    const check = setInterval(() => {
      const match = pattern.exec(started.output());
      if (!match) return;
      clearInterval(check);
      clearTimeout(timer);
      resolve(match);
    }, 100);
  });
}

function interrupt(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGINT');
  });
}

describe('npm start: the whole product on embedded defaults', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { api: number; portal: number; postgres: number; s3: number; smtp: number };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-start-'));
    // Like a folder in a clone: readable by others, so PostgreSQL (run as the user postgres under root) can reach its data.
    await chmod(dataDir, 0o755);
    ports = { api: await freePort(), portal: await freePort(), postgres: await freePort(), s3: await freePort(), smtp: await freePort() };
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PHR_DATA_DIR: dataDir,
      PHR_API_PORT: String(ports.api),
      PHR_PORTAL_PORT: String(ports.portal),
      PHR_POSTGRES_PORT: String(ports.postgres),
      PHR_S3_PORT: String(ports.s3),
      PHR_SMTP_PORT: String(ports.smtp),
    };
  }, 10_000);
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts PostgreSQL, the object store, the API and the portal, prints their URLs, and stops them all on Ctrl-C; a second start keeps the data', async () => {
    const first = await npmStart(env);
    expect(first.output()).toContain(`Portal:      http://localhost:${ports.portal}`);
    expect(first.output()).toContain(`Swagger UI:  http://127.0.0.1:${ports.api}/api/docs`);
    expect(first.output()).toContain('PostgreSQL: embedded');
    expect(first.output()).toContain('Object store: embedded (signature-checking)');
    expect(first.output()).toContain(`Mail: embedded SMTP server on 127.0.0.1:${ports.smtp}`);

    const portal = await fetch(`http://127.0.0.1:${ports.portal}/`);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toContain('<div id="root">');
    expect((await fetch(`http://127.0.0.1:${ports.api}/api/docs`)).status).toBe(200);
    // Through the portal's origin, as the browser calls it; the registration link shows up in the terminal.
    const post = (route: string, body: unknown) =>
      fetch(`http://127.0.0.1:${ports.portal}/api${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const email = uniqueEmail('local');
    expect((await post(ROUTES.startRegistration.path, { email })).status).toBe(202);
    const printed = await outputMatching(first, /Mail to (\S+): "Finish creating your health records account"\n\s+Open: (\S+)/);
    expect(printed[1]).toBe(email);
    const link = new URL(printed[2]);
    expect(`${link.origin}${link.pathname}`).toBe(`http://localhost:${ports.portal}/register`);
    const account = registration({ email, registrationToken: new URLSearchParams(link.hash.slice(1)).get('token') ?? '' });
    expect((await post(ROUTES.register.path, account)).status).toBe(201);
    // The mail is kept in the data folder too.
    expect((await readdir(path.join(dataDir, 'mail'))).filter((name) => name.endsWith('.eml'))).toHaveLength(1);
    const unsigned = await fetch(`http://127.0.0.1:${ports.s3}/phr-records/anything`);
    expect(unsigned.status).toBe(403);
    // The generated service secrets are readable by their owner only (ASVS 2.10.3).
    expect((await stat(path.join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600);

    expect(await interrupt(first)).toBe(0);
    for (const port of Object.values(ports)) expect({ port, listening: await isListening(port) }).toEqual({ port, listening: false });

    const second = await npmStart(env);
    expect(second.output()).toContain('Database schema is up to date');
    const login = await fetch(`http://127.0.0.1:${ports.api}/api${ROUTES.login.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: account.email, authKey: account.authKey }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as SessionResponse).user.email).toBe(account.email);
    expect(await interrupt(second)).toBe(0);
  }, 300_000);
});
