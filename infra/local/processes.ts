/** Child processes of the local stack: started with a name, stopped together. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  ownProcessGroup: boolean;
}

export interface ChildOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /**
   * Runs the child in a process group of its own: a terminal's Ctrl-C then reaches only the
   * parent, which stops its children in order, and stopChild() stops the child's own
   * children too (vite's esbuild).
   */
  ownProcessGroup?: boolean;
}

export function startChild(name: string, command: string, args: string[], options: ChildOptions): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.log(`[${name}] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, process: child, exited, ownProcessGroup: options.ownProcessGroup ?? false };
}

/**
 * Asks a child to stop (SIGTERM), and kills it if it has not gone after `graceMs`. A child in a
 * process group of its own gets both signals as a group, unless `askLeaderOnly`: then SIGTERM
 * goes to the child alone, as `docker compose stop` signals a container's first process, and
 * the child stops the rest in its own order (the group is killed only after the grace).
 */
export async function stopChild(child: Child, graceMs = 5000, options: { askLeaderOnly?: boolean } = {}): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    const pid = child.process.pid;
    if (child.ownProcessGroup && pid !== undefined && !(options.askLeaderOnly && name === 'SIGTERM')) {
      try {
        process.kill(-pid, name);
      } catch {
        // the group is already gone
      }
    } else {
      child.process.kill(name);
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a command to completion (in this process's environment plus `env`); rejects with its output when it fails. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed:\n${output}`))));
  });
}

/** Polls a URL until it answers 2xx, or fails after `timeoutMs`, or as soon as `child` exits. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child?.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child?.name} exited before ${url} answered`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
