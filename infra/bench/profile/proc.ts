/**
 * CPU time of processes from Linux's /proc, for the profiling scripts: who listens on a
 * port, a process's children, and utime + stime in clock ticks. Not portable: Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

export function listenerPid(port: number): number {
  const line = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString();
  const match = line.match(/pid=(\d+)/);
  if (!match) throw new Error(`no process listens on ${port}`);
  return Number(match[1]);
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
