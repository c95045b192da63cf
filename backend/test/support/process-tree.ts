/**
 * Freezing a process as a hung server does (SIGSTOP), with every process it
 * started: a PostgreSQL server is a postmaster and one backend per
 * connection, and freezing the postmaster alone would leave the backends
 * answering.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The process and all its descendants, read from /proc. */
export function processTree(rootPid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

export function freezeProcessTree(rootPid: number): void {
  for (const pid of processTree(rootPid)) process.kill(pid, 'SIGSTOP');
}

export function thawProcessTree(rootPid: number): void {
  for (const pid of processTree(rootPid)) process.kill(pid, 'SIGCONT');
}
