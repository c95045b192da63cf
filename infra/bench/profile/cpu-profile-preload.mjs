/**
 * Preloaded into the API with PHR_API_NODE_ARGS="--import <this file>" (docs/benchmarks.md
 * "Profiling"): a V8 CPU profile of the API, started by SIGWINCH (a signal NestJS's shutdown
 * hooks leave alone), so a driver can leave start-up and set-up out. A SIGWINCH while recording
 * writes what was recorded so far and starts again, so one run can profile several loads apart.
 * Each profile is written to the system's temp folder as phr-api-<pid>-<n>.cpuprofile, the last
 * when the process is told to stop. `node --cpu-prof` alone writes nothing here: NestJS's
 * shutdown hooks end the process by raising the signal again.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
let isRecording = false;
let written = 0;

process.on('SIGWINCH', () => {
  write();
  session.post('Profiler.start');
  isRecording = true;
});

function write() {
  if (!isRecording) return;
  isRecording = false;
  // A main-thread session answers synchronously, so the file is written before the process ends.
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const file = path.join(os.tmpdir(), `phr-api-${process.pid}-${++written}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    process.stderr.write(`CPU profile written to ${file}\n`);
  });
}
for (const signal of ['SIGTERM', 'SIGINT']) process.prependListener(signal, write);
process.on('exit', write);
