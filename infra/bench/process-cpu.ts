/**
 * CPU time of processes and threads from Linux's /proc, for the benchmarks' "CPU per operation"
 * figures: unlike rates, they hardly depend on what else the machine runs meanwhile. Elsewhere
 * than Linux every reading is null and the figures are left out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ), 100 on Linux. */
const TICKS_PER_SECOND = 100;

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
    const match = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString().match(/pid=(\d+)/);
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
