/**
 * Started by `npm start` in a process group of its own, with a pipe from it on stdin. The
 * pipe closes when `npm start` exits, however it exits (even SIGKILL). If the run record is
 * still there then, `npm start` did not stop its parts: the watchdog stops them, so that no
 * API, portal or PostgreSQL is left holding its port. An orderly stop removes the record first.
 *
 * Usage: node --import tsx infra/local/watchdog.ts <data folder>
 */
import { isStillRunning, readRunRecord, removeRunRecord, stopRecorded } from './run-record.js';

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('usage: watchdog.ts <data folder>');
  process.exit(2);
}

process.stdin.resume();
process.stdin.once('close', () => void standDown());
// A terminal closing (SIGHUP) must not take the watchdog along before it has done its work.
process.on('SIGHUP', () => undefined);

async function standDown(): Promise<void> {
  const record = await readRunRecord(dataDir);
  if (record && !isStillRunning(record.orchestrator)) {
    // PostgreSQL last: the API may still be using it while it stops.
    const parts = [...record.parts].reverse();
    await stopRecorded(parts.filter((part) => part.name !== 'PostgreSQL'), 10_000);
    await stopRecorded(parts.filter((part) => part.name === 'PostgreSQL'), 30_000);
    await removeRunRecord(dataDir);
  }
  process.exit(0);
}
