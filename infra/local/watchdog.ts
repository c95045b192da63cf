/**
 * Started by `npm start` in a process group of its own, with a pipe from it on stdin. The
 * pipe closes when `npm start` exits, however it exits (even SIGKILL). If the run record is
 * still there then, `npm start` did not stop its parts: the watchdog stops them, so that no
 * API, portal or PostgreSQL is left holding its port. An orderly stop removes the record first.
 *
 * Usage: node --import tsx infra/local/watchdog.ts <data folder>
 */
import { isStillRunning, readRunRecord, removeRunRecord, stopRecorded, type RecordedProcess } from './run-record.js';

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('usage: watchdog.ts <data folder>');
  process.exit(2);
}

process.stdin.resume();
process.stdin.once('close', () => void standDown());
// A terminal closing (SIGHUP) must not take the watchdog along before it has done its work.
process.on('SIGHUP', () => undefined);

/**
 * The pipe closes while the dying process releases its files, a moment before the kernel
 * marks it exited: on a busy machine /proc can still show it running then. So the watchdog
 * waits (briefly) for it to be gone before it decides; a live orchestrator never closes the pipe.
 */
async function orchestratorGone(orchestrator: RecordedProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (isStillRunning(orchestrator)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function standDown(): Promise<void> {
  const record = await readRunRecord(dataDir);
  if (!record) {
    console.log(`${new Date().toISOString()} npm start ended and left no run record: nothing to stop`);
  } else if (!(await orchestratorGone(record.orchestrator))) {
    console.log(`${new Date().toISOString()} the pipe closed but npm start (pid ${record.orchestrator.pid}) still runs: it stops its own parts`);
  } else {
    console.log(`${new Date().toISOString()} npm start (pid ${record.orchestrator.pid}) died: stopping ${record.parts.map((part) => `${part.name} (pid ${part.pid})`).join(', ')}`);
    // PostgreSQL last: the API may still be using it while it stops.
    const parts = [...record.parts].reverse();
    await stopRecorded(parts.filter((part) => part.name !== 'PostgreSQL'), 10_000);
    await stopRecorded(parts.filter((part) => part.name === 'PostgreSQL'), 30_000);
    await removeRunRecord(dataDir);
    console.log(`${new Date().toISOString()} stopped them`);
  }
  process.exit(0);
}
