/**
 * CPU time of processes and threads from Linux's /proc, for the benchmarks' "CPU per operation"
 * figures: unlike rates, they hardly depend on what else the machine runs meanwhile. Elsewhere
 * than Linux every reading is null and the figures are left out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ), 100 on Linux. */
export const TICKS_PER_SECOND = 100;

/** user + system CPU of a process (all its threads) or, with `tid`, of one of its threads, in ms; null when gone or not Linux. */
export function cpuMsOf(pid: number, tid?: number): number | null {
  try {
    const fields = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The pid of the process listening on a local TCP port (`ss`), or null. */
export function listenerPid(port: number): number | null {
  try {
    const match = /pid=(\d+)/.exec(execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString());
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** PostgreSQL's server processes that serve `database` (their titles name it), children of the postmaster `postmasterPid`. */
export function backendsOf(postmasterPid: number, database: string): number[] {
  try {
    const children = readFileSync(`/proc/${postmasterPid}/task/${postmasterPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].split(' ').includes(database));
  } catch {
    return [];
  }
}

/**
 * CPU of a group of processes between two readings: `read()` sums the group now, counting
 * each process by pid, and `since(earlier)` gives the CPU spent after `earlier` by every process
 * alive now (one that started meanwhile counts in full), or null.
 */
export function cpuReading(pids: () => number[]): { read(): Map<number, number>; since(earlier: Map<number, number>): number | null } {
  const read = () => {
    const reading = new Map<number, number>();
    for (const pid of pids()) {
      const ms = cpuMsOf(pid);
      if (ms !== null) reading.set(pid, ms);
    }
    return reading;
  };
  return {
    read,
    since(earlier) {
      const now = read();
      if (now.size === 0) return null;
      let spent = 0;
      for (const [pid, ms] of now) spent += ms - (earlier.get(pid) ?? 0);
      return spent;
    },
  };
}

/** CPU per operation of one load against a server, in ms: the server's process (its main thread apart), PostgreSQL's processes serving its database, the load generator's thread. */
export interface CpuPerOperation {
  server: number;
  serverMainThread: number;
  postgres: number;
  load: number;
}

/**
 * Readings of a server process (and its main thread) and of PostgreSQL's server processes of
 * `database`, around a load: `since(before, loadCpuMs, operations)` gives the CPU per operation,
 * or null where /proc cannot tell (the process is gone, not Linux).
 */
export function serverCpu(serverPid: number | null, postmasterPid: number | null, database: string) {
  const postgres = cpuReading(() => (postmasterPid === null ? [] : backendsOf(postmasterPid, database)));
  const read = () => ({
    server: serverPid === null ? null : cpuMsOf(serverPid),
    serverMainThread: serverPid === null ? null : cpuMsOf(serverPid, serverPid),
    postgres: postgres.read(),
  });
  return {
    read,
    since(before: ReturnType<typeof read>, loadCpuMs: number | null, operations: number): CpuPerOperation | null {
      const now = read();
      const postgresMs = postgres.since(before.postgres);
      if (before.server === null || now.server === null || before.serverMainThread === null || now.serverMainThread === null) return null;
      if (postgresMs === null || loadCpuMs === null || operations === 0) return null;
      return {
        server: (now.server - before.server) / operations,
        serverMainThread: (now.serverMainThread - before.serverMainThread) / operations,
        postgres: postgresMs / operations,
        load: loadCpuMs / operations,
      };
    },
  };
}

/** The CPU of all three parts of one operation. */
export function totalCpu(cpu: CpuPerOperation): number {
  return cpu.server + cpu.postgres + cpu.load;
}

// Clock ticks, for the profiling scripts (infra/bench/profile), which sum groups of processes.

/** listenerPid for the profiling scripts, which cannot go on without it. */
export function requireListenerPid(port: number): number {
  const pid = listenerPid(port);
  if (pid === null) throw new Error(`no process listens on ${port}`);
  return pid;
}

export function titleOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '(gone)';
  }
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** utime + stime (clock ticks) of each process, its threads included; exited ones are left out. */
export function ticksOf(pids: number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone
    }
  }
  return ticks;
}

export function minorFaultsOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[7]);
}

export function sumTicks(ticks: Map<number, number>): number {
  return [...ticks.values()].reduce((acc, value) => acc + value, 0);
}

/** Milliseconds of CPU per operation from a difference in clock ticks. */
export function msPerOperation(ticks: number, operations: number): number {
  return (1000 * ticks) / TICKS_PER_SECOND / operations;
}

/** utime + stime (clock ticks) of a process's main thread. */
export function threadTicksOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
