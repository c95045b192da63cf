import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRouteClient } from '@phr/api-client';
import { ROUTES } from '@phr/shared-types';
import { Client } from 'minio';
import { registration, signedIn, uniqueEmail } from '@phr/backend/test-support/factories.js';
import type { LocalSecrets } from '../local/local-secrets.js';
import { isListening } from '../local/ports.js';
import { readRunRecord, type RunRecord } from '../local/run-record.js';
import { REPO_ROOT } from '../local/stack.js';
import { freeStartPorts, killRecordedParts, npmStartEnv, waitFor, type StartPorts } from './support/npm-start.js';

const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string | null>;
}


/**
 * `npm start`, exactly: the same script, no DATABASE_URL or S3_* (embedded defaults), in a
 * process group of its own as a terminal would run it, so that Ctrl-C can reach the group.
 */
async function npmStart(env: NodeJS.ProcessEnv): Promise<Started> {
  // As package.json's start script: tsx as a loader in the same process (its CLI wrapper
  // would SIGKILL the child when a signal is not acknowledged within 30 ms).
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  await waitFor('npm start is ready', () => {
    if (hasExited) throw new Error(`start exited:\n${output}`);
    return output.includes('Press Ctrl-C to stop.');
  }, 150_000).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\n${output}`);
  });
  return { child, output: () => output, exited };
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

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
function pressCtrlC(started: Started): void {
  process.kill(-started.child.pid!, 'SIGINT');
}

async function runRecord(dataDir: string): Promise<RunRecord> {
  const record = await readRunRecord(dataDir);
  if (!record) throw new Error('no npm-start.json in the data folder');
  return record;
}

describe('npm start: the whole product on embedded defaults', () => {
  let dataDir: string;
  let objectsMount: string;
  let env: NodeJS.ProcessEnv;
  let ports: StartPorts;
  const allPortsFree = async () => (await Promise.all(Object.values(ports).map((port) => isListening(port)))).every((listening) => !listening);
  /** Which ports are still taken, and by what (for the message of a failed wait). */
  const takenPorts = async (): Promise<string> => {
    const taken = (await Promise.all(Object.entries(ports).map(async ([name, port]) => ((await isListening(port)) ? `${name}:${port}` : null)))).filter(Boolean);
    const { stdout } = await run('ss', ['-ltnpH']).catch(() => ({ stdout: '' }));
    const holders = stdout.split('\n').filter((line) => Object.values(ports).some((port) => line.includes(`:${port} `)));
    return `${taken.join(', ')}\n${holders.join('\n')}`;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-start-'));
    // Like a folder in a clone: readable by others, so PostgreSQL (run as the user postgres under root) can reach its data.
    await chmod(dataDir, 0o755);
    // The object store's folder is a real, small file system (1 MiB of tmpfs; needs root, as CI runs).
    objectsMount = path.join(dataDir, 'objects');
    await mkdir(objectsMount);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'phr-start-test-objects', objectsMount]);
    ports = await freeStartPorts();
    env = npmStartEnv(dataDir, ports);
  }, 10_000);
  afterAll(async () => {
    // Whatever a failed test left running on this folder: the recorded parts, then the mount.
    await killRecordedParts(dataDir);
    await run('umount', [objectsMount]).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

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
    const throughPortal = createRouteClient({ baseUrl: `http://127.0.0.1:${ports.portal}` });
    const email = uniqueEmail('local');
    expect((await throughPortal.send(ROUTES.startRegistration, { body: { email } })).status).toBe(202);
    const printed = await outputMatching(first, /Mail to (\S+): "Finish creating your health records account"\n\s+Open: (\S+)/);
    expect(printed[1]).toBe(email);
    const link = new URL(printed[2]);
    expect(`${link.origin}${link.pathname}`).toBe(`http://localhost:${ports.portal}/register`);
    const account = registration({ email, registrationToken: new URLSearchParams(link.hash.slice(1)).get('token') ?? '' });
    expect((await throughPortal.send(ROUTES.register, { body: account })).status).toBe(201);
    // The mail is kept in the data folder too.
    expect((await readdir(path.join(dataDir, 'mail'))).filter((name) => name.endsWith('.eml'))).toHaveLength(1);
    // Nobody could approve a doctor on a fresh start: the terminal shows an operator invitation until an operator exists.
    const invited = /Operator: {4}none yet; .*?(http:\/\/localhost:\d+\/register#\S+)/.exec(first.output());
    expect(invited).not.toBeNull();
    const invitation = new URLSearchParams(new URL(invited?.[1] ?? 'http://x').hash.slice(1));
    const { registrationToken: _token, role: _role, displayName: _name, licence: _licence, organisation: _organisation, ...material } = registration({ email: invitation.get('email') ?? '' });
    const operator = await throughPortal.send(ROUTES.registerInvited, { body: { ...material, invitation: invitation.get('invitation') ?? '' } });
    expect(operator.status).toBe(201);
    expect(operator.body.user.role).toBe('operator');
    // The security team's first step: the printed create-auditor command, pasted as it is, invites an auditor into this database.
    const auditorCommand = /Auditor: .*\n\s+(DATABASE_MIGRATION_URL=\S+ npm run create-auditor -- .*)\n/.exec(first.output())?.[1];
    expect(auditorCommand).toBeDefined();
    const auditorInvitation = await promisify(execFile)('sh', ['-c', auditorCommand ?? 'false'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH } });
    expect(auditorInvitation.stdout).toMatch(/^Invitation \(auditor\) for auditor@example\.org, valid until /m);
    const auditorCode = auditorInvitation.stdout.split('\n').find((line) => !line.startsWith('Invitation') && !line.startsWith('>') && line.trim().length > 20 && !line.includes(' '))?.trim() ?? '';
    const { registrationToken: _t, role: _r, displayName: _n, licence: _l, organisation: _o, ...auditorMaterial } = registration({ email: 'auditor@example.org' });
    const auditor = await throughPortal.send(ROUTES.registerInvited, { body: { ...auditorMaterial, invitation: auditorCode } });
    expect({ status: auditor.status, role: auditor.status === 201 ? auditor.body.user.role : null }).toEqual({ status: 201, role: 'auditor' });
    const unsigned = await fetch(`http://127.0.0.1:${ports.s3}/phr-records/anything`);
    expect(unsigned.status).toBe(403);
    // The generated service secrets are readable by their owner only (ASVS 2.10.3).
    expect((await stat(path.join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600);

    pressCtrlC(first);
    await waitFor('npm start has exited', () => first.child.exitCode !== null || first.child.signalCode !== null);
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Stopped.');
    for (const port of Object.values(ports)) expect({ port, listening: await isListening(port) }).toEqual({ port, listening: false });

    const second = await npmStart(env);
    expect(second.output()).toContain('Database schema is up to date');
    expect(second.output()).not.toContain('Operator:');
    const login = await createRouteClient({ baseUrl: `http://127.0.0.1:${ports.api}` }).send(ROUTES.login, { body: { email: account.email, authKey: account.authKey } });
    expect(login.status).toBe(200);
    expect(signedIn(login.body).user.email).toBe(account.email);
    pressCtrlC(second);
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('Stopped.');
  }, 400_000);

  it('refuses an upload that does not fit on the disk with 507 and keeps running', async () => {
    const started = await npmStart(env);
    const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8')) as LocalSecrets;
    const store = new Client({ endPoint: '127.0.0.1', port: ports.s3, useSSL: false, accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey, region: 'us-east-1' });

    const refused = await fetch(await store.presignedPutObject('phr-records', 'too-large.bin', 60), {
      method: 'PUT',
      body: new Uint8Array(2 * 1024 * 1024).fill(1),
    });

    expect(refused.status).toBe(507);
    expect(await refused.text()).toContain('<Code>InsufficientStorage</Code>');
    // The store logs the refusal as it answers; its line may reach this pipe after the answer does (a busy machine).
    const logged = `no space left in ${objectsMount}; refused PUT /phr-records/too-large.bin with 507`;
    await waitFor(`the output says "${logged}"`, () => started.output().includes(logged), 30_000).catch(async (error: unknown) => {
      // Stop it, so that the next test's start does not find this one still running.
      pressCtrlC(started);
      await started.exited;
      throw new Error(`${String(error)}\n${started.output()}`);
    });
    expect(started.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${ports.api}/api/health`)).status).toBe(200);
    const fits = await fetch(await store.presignedPutObject('phr-records', 'small.bin', 60), { method: 'PUT', body: 'fits' });
    expect(fits.status).toBe(200);
    pressCtrlC(started);
    expect(await started.exited).toBe(0);
  }, 300_000);

  it('stops the other parts and says which one exited when a part dies', async () => {
    const started = await npmStart(env);
    const api = (await runRecord(dataDir)).parts.find((part) => part.name === 'API')!;

    process.kill(api.pid, 'SIGKILL');

    expect(await started.exited).toBe(1);
    expect(started.output()).toContain(`API (pid ${api.pid}) was killed (SIGKILL) unexpectedly.`);
    expect(started.output()).toContain('Stopped.');
    expect(await allPortsFree()).toBe(true);
  }, 300_000);

  it('stops promptly and says so when PostgreSQL has stopped before it (the Ctrl-C that hung for 10 s)', async () => {
    const started = await npmStart(env);
    const postgres = (await runRecord(dataDir)).parts.find((part) => part.name === 'PostgreSQL')!;

    // What a terminal's Ctrl-C does to PostgreSQL, which shares npm start's process group.
    process.kill(postgres.pid, 'SIGINT');

    expect(await started.exited).toBe(1);
    expect(started.output()).toContain(`PostgreSQL (pid ${postgres.pid}) exited unexpectedly.`);
    expect(started.output()).toContain('Stopped.');
    expect(await allPortsFree()).toBe(true);
  }, 300_000);

  it('leaves no part running when npm start itself is killed, and a later start stops what a dead one left behind', async () => {
    const killed = await npmStart(env);
    process.kill(killed.child.pid!, 'SIGKILL');
    // Its watchdog stops the parts.
    await waitFor('every port is free', allPortsFree).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; still taken: ${await takenPorts()}\n${await readFile(path.join(dataDir, 'watchdog.log'), 'utf8').catch(() => '(no watchdog log)')}`);
    });
    await waitFor('the run record is gone', async () => (await readRunRecord(dataDir)) === undefined);

    // Now with the watchdog killed too, as if the machine's OOM killer took both.
    const orphaning = await npmStart(env);
    const record = await runRecord(dataDir);
    process.kill(record.watchdog!.pid, 'SIGKILL');
    process.kill(orphaning.child.pid!, 'SIGKILL');
    await orphaning.exited;
    expect(await isListening(ports.api)).toBe(true);

    const next = await npmStart(env);

    for (const part of record.parts) expect(next.output()).toContain(`Stopped ${part.name} (pid ${part.pid}), left running by an earlier start.`);
    expect((await fetch(`http://127.0.0.1:${ports.api}/api/health`)).status).toBe(200);
    pressCtrlC(next);
    expect(await next.exited).toBe(0);
  }, 400_000);
});
