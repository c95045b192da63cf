/**
 * `npm start -- --instances 3` (issue 17): three API processes behind Caddy, as a terminal
 * runs it. The portal's /api reaches all three through Caddy; an instance that dies is named and
 * left out while the rest go on; Ctrl-C stops every part, Caddy and the instances included.
 * What a client sees under load when an instance dies: api-instances.spec.ts.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isListening } from '../local/ports.js';
import { readRunRecord, startTimeOf, type RunRecord } from '../local/run-record.js';
import { REPO_ROOT } from '../local/stack.js';
import { freeStartPorts, killRecordedParts, npmStartEnv, waitFor, type StartPorts } from './support/npm-start.js';

describe('npm start -- --instances 3', () => {
  let dataDir: string;
  let ports: StartPorts;
  let output = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-start-instances-'));
    // Readable by others, so PostgreSQL (run as the user postgres under root) can reach its data.
    await chmod(dataDir, 0o755);
    ports = await freeStartPorts();
  });

  afterAll(async () => {
    // Whatever a failed test left running: the recorded parts.
    await killRecordedParts(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('balances the portal’s /api over three instances, goes on when one dies, and stops every part on Ctrl-C', async () => {
    // As package.json's start script runs it (`npm start -- --instances 3`), in a process group of its own as a terminal would.
    const started = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', '--instances', '3'], {
      cwd: REPO_ROOT,
      env: npmStartEnv(dataDir, ports),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    started.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => started.once('exit', (code, signal) => resolve(code ?? signal)));
    await waitFor('npm start is ready', () => {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`npm start exited:\n${output}`);
      return output.includes('Press Ctrl-C to stop.');
    }, 240_000);

    const record: RunRecord | undefined = await readRunRecord(dataDir);
    const instances = (record?.parts ?? []).filter((part) => /^API \d$/.test(part.name));
    expect(instances.map((part) => part.name)).toEqual(['API 1', 'API 2', 'API 3']);
    expect(record?.parts.map((part) => part.name)).toContain('Caddy');
    const hosts = /API:\s+http:\/\/127\.0\.0\.1:(\d+)\/api \(Caddy, balancing 3 instances: (\S+), (\S+), (\S+)\)/.exec(output);
    expect(hosts?.[1]).toBe(String(ports.api));
    const instanceHosts = hosts?.slice(2) ?? [];
    expect(instanceHosts).toHaveLength(3);

    // Through the portal's dev server, as the browser calls it: every instance answers in turn.
    const answeredBy = new Set<string>();
    await waitFor('each instance has answered through the portal', async () => {
      const response = await fetch(`http://127.0.0.1:${ports.portal}/api/health`);
      expect(response.status).toBe(200);
      answeredBy.add(response.headers.get('x-phr-instance') ?? 'none');
      return instanceHosts.every((host) => answeredBy.has(host));
    });
    expect([...answeredBy].sort()).toEqual([...instanceHosts].sort());

    const killed = instances[1];
    process.kill(killed.pid, 'SIGKILL');
    await waitFor('npm start names the dead instance', () => output.includes(`API 2 (pid ${killed.pid}) was killed (SIGKILL); Caddy sends its requests to the 2 instance(s) left.`));
    // The rest go on: the reads through Caddy are answered, by the two left.
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`http://127.0.0.1:${ports.api}/api/health`);
      expect(response.status).toBe(200);
      expect(instanceHosts.filter((host) => host !== instanceHosts[1])).toContain(response.headers.get('x-phr-instance'));
    }
    expect(started.exitCode).toBeNull();

    // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    process.kill(-started.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    expect(output).not.toContain('API 3 (pid');
    const stillListening = [];
    for (const port of [...Object.values(ports), ...instanceHosts.map((host) => Number(host.split(':')[1]))]) if (await isListening(port)) stillListening.push(port);
    expect(stillListening).toEqual([]);
    for (const part of record?.parts ?? []) expect({ part: part.name, running: startTimeOf(part.pid) === part.startTime }).toEqual({ part: part.name, running: false });
  }, 400_000);
});
