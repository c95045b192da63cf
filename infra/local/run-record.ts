/**
 * What `npm start` keeps running, written down in the data folder (`npm-start.json`), so that
 * a later start, or the watchdog, can tell its own leftovers from anything else: a process is
 * ours only if both its pid and its start time match the record (pids are reused).
 */
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RecordedProcess {
  name: string;
  pid: number;
  /** Clock ticks since boot, from /proc/<pid>/stat: with the pid, names one process. */
  startTime: number;
  /** How to ask it to stop (PostgreSQL: SIGINT, its fast shutdown). */
  stopSignal: NodeJS.Signals;
  /** Signal its whole process group (it runs in one of its own). */
  isGroup: boolean;
}

export interface RunRecord {
  orchestrator: RecordedProcess;
  /** Stops the parts if the orchestrator dies without doing so (watchdog.ts). */
  watchdog?: RecordedProcess;
  parts: RecordedProcess[];
}

export function runRecordPath(dataDir: string): string {
  return path.join(dataDir, 'npm-start.json');
}

/** The process's start time, or undefined when no such process runs. */
export function startTimeOf(pid: number): number | undefined {
  try {
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a /proc path built from a number
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined; // exited, not yet reaped
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function describeProcess(name: string, pid: number, stopSignal: NodeJS.Signals, isGroup = false): RecordedProcess {
  const startTime = startTimeOf(pid);
  if (startTime === undefined) throw new Error(`${name} (pid ${pid}) is not running`);
  return { name, pid, startTime, stopSignal, isGroup };
}

/** Whether the recorded process still runs (same pid, same start time). */
export function isStillRunning(recorded: RecordedProcess): boolean {
  return startTimeOf(recorded.pid) === recorded.startTime;
}

export async function readRunRecord(dataDir: string): Promise<RunRecord | undefined> {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's data folder
    return JSON.parse(await readFile(runRecordPath(dataDir), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

export async function writeRunRecord(dataDir: string, record: RunRecord): Promise<void> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's data folder
  await writeFile(runRecordPath(dataDir), `${JSON.stringify(record, null, 2)}\n`);
}

export async function removeRunRecord(dataDir: string): Promise<void> {
   
  await rm(runRecordPath(dataDir), { force: true });
}

/**
 * Stops recorded processes that still run: asks each to stop, waits up to `graceMs`, then
 * kills what is left. Returns the ones it found running.
 */
export async function stopRecorded(processes: RecordedProcess[], graceMs: number): Promise<RecordedProcess[]> {
  const running = processes.filter(isStillRunning);
  for (const recorded of running) signal(recorded, recorded.stopSignal);
  const deadline = Date.now() + graceMs;
  while (running.some(isStillRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const recorded of running.filter(isStillRunning)) signal(recorded, 'SIGKILL');
  while (running.some(isStillRunning)) await new Promise((resolve) => setTimeout(resolve, 100));
  return running;
}

function signal(recorded: RecordedProcess, name: NodeJS.Signals): void {
  try {
    process.kill(recorded.isGroup ? -recorded.pid : recorded.pid, name);
  } catch {
    // gone meanwhile
  }
}
