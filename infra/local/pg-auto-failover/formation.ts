/**
 * A pg_auto_failover formation on this machine for tests (docs/running.md "Automatic failover"):
 * a monitor, a primary and a synchronous standby from Debian's `postgresql-15-auto-failover`
 * (`pg_autoctl`, PostgreSQL 15), each on a free loopback port, all data in one temporary
 * folder. PostgreSQL and pg_autoctl refuse to run as root: under root every command runs as the
 * OS user postgres (`runuser`), with pg_autoctl's XDG folders in the formation's folder.
 *
 * Test settings, not production ones: trust authentication on loopback, no TLS, small
 * buffers, and the monitor's health checks shortened (a failover after ~8 s instead of ~50 s).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../ports.js';
import { run, startChild, stopChild, type Child } from '../processes.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const PG_AUTOCTL = '/usr/bin/pg_autoctl';
const START_TIMEOUT_MS = 120_000;

/**
 * The monitor's health checks, shortened for a test (defaults: 5 s period, 30 s before a node
 * is unhealthy, 30 s before a primary that lost the monitor demotes itself).
 */
const FAST_HEALTH_CHECKS: Record<string, number> = {
  'pgautofailover.health_check_period': 1000,
  'pgautofailover.health_check_timeout': 1000,
  'pgautofailover.health_check_max_retries': 1,
  'pgautofailover.health_check_retry_delay': 500,
  'pgautofailover.node_considered_unhealthy_timeout': 2000,
  'pgautofailover.primary_demote_timeout': 5000,
};

/** pg_autoctl sizes shared_buffers from the machine's memory (6 GB on a 24 GB machine): a test needs little. */
const SMALL_SERVER = "shared_buffers = '32MB'\nmax_wal_size = '256MB'\n";

export interface FormationNode {
  name: string;
  port: number;
  pgdata: string;
  /** The superuser on this node alone. */
  adminUrl: string;
}

export interface NodeState {
  name: string;
  port: number;
  reportedState: string;
  goalState: string;
}

export interface RunningFormation {
  dir: string;
  monitorPort: number;
  nodes: FormationNode[];
  /** libpq's multi-host form for `role` on `database` (with `password`), every node listed, as `pg_autoctl show uri` prints it. */
  urlFor(role: string, password: string, database: string): string;
  /** What the monitor knows of each node, by node id. */
  states(): Promise<NodeState[]>;
  /** Waits until the monitor reports exactly these states (reported and goal) by node name. */
  waitForStates(expected: Record<string, string>, timeoutMs?: number): Promise<void>;
  /** The node the monitor names primary now. */
  primary(): Promise<FormationNode>;
  /** Kills a node outright: its pg_autoctl, its postmaster and every backend, as a machine that lost power. */
  crash(node: FormationNode): Promise<void>;
  stop(): Promise<void>;
}

export interface FormationOptions {
  log?: (line: string) => void;
}

/** Starts a monitor, then node1 (becomes primary), then node2 (becomes its synchronous standby). */
export async function startFormation(options: FormationOptions = {}): Promise<RunningFormation> {
  if (!existsSync(PG_AUTOCTL)) {
    throw new Error(`${PG_AUTOCTL} is missing: install Debian's postgresql-15-auto-failover (apt-get install -y postgresql-15-auto-failover; .ci/run does)`);
  }
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phr-failover-'));
  const owner = runsAsRoot() ? postgresIds() : null;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the folder mkdtemp just made
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const env = { XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'share'), XDG_RUNTIME_DIR: path.join(dir, 'run') };
  const command = (args: string[]): [string, string[]] =>
    owner ? ['runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([name, value]) => `${name}=${value}`), PG_AUTOCTL, ...args]] : [PG_AUTOCTL, args];
  const children = new Map<string, Child>();
  const runNode = (name: string, pgdata: string) => {
    const [file, args] = command(['run', '--pgdata', pgdata]);
    // A process group of its own: crash() kills pg_autoctl, the postmaster and its backends at once.
    children.set(name, startChild(name, file, args, { cwd: dir, env: { ...process.env, ...env }, log, ownProcessGroup: true }));
  };
  const autoctl = (args: string[]) => run(...command(args), dir, env);

  // Each member runs in a process group of its own, which the end of this process does not reach:
  // a test process that exits without stop() (a thrown error, a worker torn down) kills them.
  const killLeftovers = () => {
    for (const child of children.values()) {
      if (child.process.exitCode === null && child.process.signalCode === null && child.process.pid !== undefined) {
        try {
          process.kill(-child.process.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  process.once('exit', killLeftovers);
  const stop = async () => {
    await Promise.all([...children.values()].reverse().map((child) => stopChild(child, 10_000)));
    process.off('exit', killLeftovers);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const monitorPort = await freePort();
    const monitorData = path.join(dir, 'monitor');
    await autoctl(['create', 'monitor', '--pgdata', monitorData, '--pgport', String(monitorPort), '--hostname', '127.0.0.1', '--auth', 'trust', '--no-ssl', '--pgctl', `${PG_BIN}/pg_ctl`]);
    await autoctl(['config', 'set', '--pgdata', monitorData, 'postgresql.listen_addresses', '127.0.0.1']);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the formation's own folder
    await appendFile(path.join(monitorData, 'postgresql.auto.conf'), SMALL_SERVER);
    runNode('monitor', monitorData);
    const monitorAdminUrl = `postgres://postgres@127.0.0.1:${monitorPort}/pg_auto_failover?sslmode=disable`;
    await waitForQuery(monitorAdminUrl, START_TIMEOUT_MS);
    await withClient(monitorAdminUrl, async (client) => {
      for (const [name, value] of Object.entries(FAST_HEALTH_CHECKS)) await client.query(`ALTER SYSTEM SET ${name} = ${value}`);
      await client.query('SELECT pg_reload_conf()');
    });

    const monitorUrl = `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover?sslmode=disable`;
    const nodes: FormationNode[] = [];
    for (const name of ['node1', 'node2']) {
      const port = await freePort();
      const pgdata = path.join(dir, name);
      await autoctl([
        'create', 'postgres', '--pgdata', pgdata, '--pgport', String(port), '--listen', '127.0.0.1', '--hostname', '127.0.0.1',
        '--name', name, '--auth', 'trust', '--no-ssl', '--pgctl', `${PG_BIN}/pg_ctl`, '--monitor', monitorUrl,
      ]);
      // The standby is a base backup of the primary, postgresql.auto.conf included.
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the formation's own folder
      if (name === 'node1') await appendFile(path.join(pgdata, 'postgresql.auto.conf'), SMALL_SERVER);
      runNode(name, pgdata);
      nodes.push({ name, port, pgdata, adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable` });
    }

    const states = () =>
      withClient(monitorUrl, async (client) =>
        (
          await client.query<{ nodename: string; nodeport: number; reportedstate: string; goalstate: string }>(
            'SELECT nodename, nodeport, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid',
          )
        ).rows.map((row) => ({ name: row.nodename, port: row.nodeport, reportedState: row.reportedstate, goalState: row.goalstate })),
      );
    const waitForStates = async (expected: Record<string, string>, timeoutMs = START_TIMEOUT_MS) => {
      const deadline = Date.now() + timeoutMs;
      let last: NodeState[] | string;
      for (;;) {
        try {
          last = await states();
          if (last.length === Object.keys(expected).length && last.every((node) => expected[node.name] === node.reportedState && expected[node.name] === node.goalState)) return;
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() > deadline) throw new Error(`The formation did not reach ${JSON.stringify(expected)} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await waitForStates({ node1: 'primary', node2: 'secondary' });

    return {
      dir,
      monitorPort,
      nodes,
      urlFor: (role, password, database) =>
        `postgres://${encodeURIComponent(role)}:${encodeURIComponent(password)}@${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}/${database}?target_session_attrs=read-write&sslmode=disable`,
      states,
      waitForStates,
      primary: async () => {
        const { rows } = await withClient(monitorUrl, (client) => client.query<{ primary_port: number }>("SELECT primary_port FROM pgautofailover.get_primary('default', 0)"));
        const node = nodes.find((candidate) => candidate.port === rows[0]?.primary_port);
        if (!node) throw new Error('The monitor names no primary');
        return node;
      },
      crash: async (node) => {
        const child = children.get(node.name);
        const pid = child?.process.pid;
        if (!child || pid === undefined) throw new Error(`${node.name} is not running`);
        process.kill(-pid, 'SIGKILL');
        await child.exited;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresIds(): { uid: number; gid: number } {
  // eslint-disable-next-line sonarjs/no-os-command-from-path -- coreutils' id on the test machine's own PATH, for the test formation's postgres user
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitForQuery(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withClient(url, (client) => client.query('SELECT 1'));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
