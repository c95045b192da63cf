/**
 * Ceph's RADOS Gateway, the real S3 server of docker-compose.yml, on this machine for tests:
 * a one-node cluster (monitor, one OSD, gateway) from Debian's packages (install-packages.sh),
 * bootstrapped by the same script the Compose store runs (infra/docker/ceph/entrypoint.sh),
 * with the OSD in memory (memstore) and no manager, all on loopback ports that were free.
 * Cold start measured ~1.3-8 s on 2 busy cores; stop ~2 s.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, freePortPair } from '../ports.js';
import { startChild, stopChild, type Child } from '../processes.js';

const ENTRYPOINT = path.resolve(import.meta.dirname, '../../docker/ceph/entrypoint.sh');
/** The daemons Debian packages; install-packages.sh installs them. */
const REQUIRED_COMMANDS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph-authtool', 'monmaptool', 'ceph'];
/** A bound on the start (it waits for conditions, never for time): generous for a busy machine. */
const START_TIMEOUT_MS = 180_000;
/** Ports the OSD and the gateway's client side may bind, from a free base: they take a few each. */
const BIND_PORT_SPAN = 200;

export interface RgwOptions {
  log?: (line: string) => void;
  /** memstore (default: memory only) or bluestore (a file, as in Compose). */
  objectStore?: 'memstore' | 'bluestore';
  /** Run the manager too, as Compose does (default off: S3 does not need it). */
  manager?: boolean;
  /** Keep the cluster's folder on stop (to start it again with `reuse`). */
  keep?: boolean;
  /** Start on the cluster a previous start left in this folder (with the same ports); kept on stop. */
  reuse?: { dataDir: string; port: number; monPort: number; bindBase: number };
  accessKey?: string;
  secretKey?: string;
}

export interface RunningRgw {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  port: number;
  /** The S3 user's keys (the user the entrypoint made). */
  accessKey: string;
  secretKey: string;
  /** The cluster's folder (configuration, keys, logs). */
  dataDir: string;
  monPort: number;
  bindBase: number;
  /** How the entrypoint ended (null while it runs). */
  exitCode(): number | null;
  /** Stops every daemon (SIGTERM to the entrypoint, as Compose stops a container) and removes the folder unless kept or reused. Safe to call twice. */
  stop(): Promise<void>;
}

export function missingCephCommands(): string[] {
  // eslint-disable-next-line sonarjs/no-os-command-from-path -- a developer tool asking which of Debian's ceph commands this machine's PATH has
  return REQUIRED_COMMANDS.filter((command) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0);
}

export async function startRgw(options: RgwOptions = {}): Promise<RunningRgw> {
  const missing = missingCephCommands();
  if (missing.length > 0) throw new Error(`Ceph is not installed (missing ${missing.join(', ')}): run infra/local/ceph/install-packages.sh as root`);
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'phr-ceph-')));
  const port = options.reuse?.port ?? (await freePort());
  // The monitor binds this port and the next.
  const monPort = options.reuse?.monPort ?? (await freePortPair());
  const bindBase = options.reuse?.bindBase ?? (await freePortRange(BIND_PORT_SPAN));
  const accessKey = options.accessKey ?? `phr-test-${randomBytes(4).toString('hex')}`;
  const secretKey = options.secretKey ?? randomBytes(20).toString('hex');
  const lines: string[] = [];
  let announce: (endpoint: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => (announce = resolve));
  const child: Child = startChild('ceph', 'bash', [ENTRYPOINT], {
    cwd: dataDir,
    ownProcessGroup: true,
    log: (line) => {
      lines.push(line);
      options.log?.(line);
      const match = /\] ready (\S+)$/.exec(line);
      // eslint-disable-next-line sonarjs/no-extra-arguments -- announce is the promise's resolve once the log names the endpoint; its initial no-op ignores the argument
      if (match) announce(match[1]);
    },
    env: {
      PATH: process.env.PATH,
      CEPH_DATA: path.join(dataDir, 'cluster'),
      CEPH_OBJECTSTORE: options.objectStore ?? 'memstore',
      CEPH_MGR: options.manager ? 'on' : 'off',
      // A cap, not an allocation: the suites write a few hundred MiB, and deleted objects wait for the gateway's GC.
      CEPH_MEMSTORE_BYTES: String(4 * 1024 ** 3),
      // Sparse, and small for tests; Compose's default is 100G (STORE_SIZE).
      CEPH_BLUESTORE_SIZE: '4G',
      CEPH_MEMORY_TARGET: String(512 * 1024 ** 2),
      CEPH_MON_PORT: String(monPort),
      CEPH_BIND_PORT_MIN: String(bindBase),
      CEPH_BIND_PORT_MAX: String(bindBase + BIND_PORT_SPAN - 1),
      RGW_ENDPOINT: `127.0.0.1:${port}`,
      S3_ACCESS_KEY: accessKey,
      S3_SECRET_KEY: secretKey,
    },
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // SIGTERM to the entrypoint alone, as Compose sends it: the entrypoint stops the gateway first and the monitor last.
    // Signalled as a group, the monitor went with the rest and the gateway could wait out the grace for it.
    stopping ??= stopChild(child, 30_000, { askLeaderOnly: true }).then(() => (options.reuse || options.keep ? undefined : rm(dataDir, { recursive: true, force: true })));
    return stopping;
  };
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then((endpoint) => ({ endpoint })),
    child.exited.then((code) => ({ failure: `the Ceph entrypoint exited (${code}) before the gateway served` })),
    new Promise<{ failure: string }>((resolve) => (timer = setTimeout(() => resolve({ failure: `the gateway did not serve within ${START_TIMEOUT_MS / 1000} s` }), START_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if ('failure' in outcome) {
    await stop();
    throw new Error(`${outcome.failure}:\n${lines.join('\n')}`);
  }
  return { endpoint: outcome.endpoint, port, accessKey, secretKey, dataDir, monPort, bindBase, exitCode: () => child.process.exitCode, stop };
}

/** A range starting at a port that was free a moment ago: Ceph binds the first free ports of its range. */
async function freePortRange(span: number): Promise<number> {
  const base = await freePort();
  return Math.min(base, 65535 - span);
}
