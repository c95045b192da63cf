/**
 * Caddy as the API's load balancer for `npm start -- --instances N` (and the tests that start
 * several instances): infra/local/load-balancer.Caddyfile, which imports the balancing, health
 * checks and retries of Compose's Caddy (infra/docker/api-load-balancing.caddy).
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { startChild, stopChild, waitForHttp, type Child } from './processes.js';

export const LOAD_BALANCER_CADDYFILE = 'infra/local/load-balancer.Caddyfile';

/** The most API instances `--instances` starts (each holds DATABASE_POOL_SIZE connections). */
export const MAX_API_INSTANCES = 8;

/** Whether an executable `caddy` is on the PATH. */
export function isCaddyInstalled(searchPath = process.env.PATH ?? ''): boolean {
  return searchPath
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(path.join(dir, 'caddy'), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** Refuses, saying what to do, when Caddy is not installed. */
export function assertCaddyInstalled(instances: number): void {
  if (isCaddyInstalled()) return;
  throw new Error(
    `--instances ${instances} puts Caddy in front of the API instances as their load balancer, and \`caddy\` is not on the PATH. ` +
      'Install it (Debian or Ubuntu: `sudo apt-get install -y caddy`), or start a single instance (no --instances).',
  );
}

/** `--instances N` or `--instances=N` among the arguments; 1 without it. */
export function instancesOption(args: readonly string[]): number {
  const index = args.findIndex((arg) => arg === '--instances' || arg.startsWith('--instances='));
  if (index === -1) return 1;
  const raw = args[index].includes('=') ? args[index].slice('--instances='.length) : args[index + 1];
  const value = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || value < 1 || value > MAX_API_INSTANCES) {
    throw new Error(`--instances takes a number of API instances from 1 to ${MAX_API_INSTANCES}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
  }
  return value;
}

export interface LoadBalancerOptions {
  repoRoot: string;
  /** Where Caddy may keep its files (it needs none for plain HTTP, but looks for a home). */
  dir: string;
  port: number;
  /** host:port of every instance. */
  upstreams: string[];
  log: (line: string) => void;
  ownProcessGroup?: boolean;
}

export async function startLoadBalancer(options: LoadBalancerOptions): Promise<Child> {
  const caddy = startChild('caddy', 'caddy', ['run', '--config', path.join(options.repoRoot, LOAD_BALANCER_CADDYFILE), '--adapter', 'caddyfile'], {
    cwd: options.repoRoot,
    // Caddy logs every start-up step and health check as JSON: only errors are shown (its
    // warnings at start are about the admin endpoint and HTTPS, both off on purpose).
    log: (line) => {
      if (/"level":"(error|fatal)"/.test(line) || !line.startsWith('[caddy] {')) options.log(line);
    },
    ownProcessGroup: options.ownProcessGroup,
    env: {
      PATH: process.env.PATH,
      HOME: options.dir,
      XDG_DATA_HOME: path.join(options.dir, 'data'),
      XDG_CONFIG_HOME: path.join(options.dir, 'config'),
      PHR_LB_PORT: String(options.port),
      PHR_API_UPSTREAM: options.upstreams.join(' '),
    },
  });
  try {
    await waitForHttp(`http://127.0.0.1:${options.port}/api/health`, 30_000, caddy);
  } catch (error) {
    await stopChild(caddy);
    throw error;
  }
  return caddy;
}
