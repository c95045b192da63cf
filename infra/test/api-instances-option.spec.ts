/**
 * `npm start -- --instances N` (infra/local/load-balancer.ts): the option as it is read, and the
 * refusal, before anything starts, when Caddy (the load balancer) is not installed. The stack
 * itself with three instances: api-instances.spec.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { instancesOption, isCaddyInstalled, MAX_API_INSTANCES } from '../local/load-balancer.js';
import { REPO_ROOT } from '../local/stack.js';

describe('--instances', () => {
  it.each([
    [[], 1],
    [['--instances', '3'], 3],
    [['--instances=2'], 2],
    [['--instances', '1'], 1],
  ])('reads %j as %i instance(s)', (args, expected) => {
    expect(instancesOption(args)).toBe(expected);
  });

  it.each([[['--instances']], [['--instances', '0']], [['--instances', 'three']], [['--instances=1.5']], [['--instances', String(MAX_API_INSTANCES + 1)]]])('refuses %j', (args) => {
    expect(() => instancesOption(args)).toThrow(`--instances takes a number of API instances from 1 to ${MAX_API_INSTANCES}`);
  });

  it('finds caddy on the PATH only where it is', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'phr-no-caddy-'));
    try {
      expect(isCaddyInstalled(empty)).toBe(false);
      // This machine has Debian's caddy (the load-balancer tests need it).
      expect(isCaddyInstalled('/usr/bin')).toBe(true);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('makes npm start refuse --instances 3 without Caddy, saying how to install it, before it starts any part', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-no-caddy-'));
    try {
      const started = promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', '--instances', '3'], {
        cwd: REPO_ROOT,
        // A PATH without caddy (node is started by its full path).
        env: { PATH: dataDir, HOME: process.env.HOME, PHR_DATA_DIR: dataDir, PHR_API_PORT: '1', PHR_PORTAL_PORT: '2' },
      });
      await expect(started).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('--instances 3 puts Caddy in front of the API instances as their load balancer, and `caddy` is not on the PATH. Install it (Debian or Ubuntu: `sudo apt-get install -y caddy`)'),
      });
      // It stopped before it wrote or started anything: no run record, no database, no secrets.
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
