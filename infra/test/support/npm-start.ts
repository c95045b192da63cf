/**
 * What the specs of `npm start` share (start.spec.ts, start-instances.spec.ts): free ports for
 * every part, the environment a terminal gives the script (no DATABASE_URL or S3_*: the embedded
 * defaults), a wait for a condition, and the clean-up of whatever a failed test left running.
 */
import { freePort } from '../../local/ports.js';
import { readRunRecord, startTimeOf } from '../../local/run-record.js';

/** The port of each part (a record, so that Object.values gives numbers). */
export type StartPorts = Record<'api' | 'portal' | 'postgres' | 's3' | 'smtp', number>;

export async function freeStartPorts(): Promise<StartPorts> {
  return { api: await freePort(), portal: await freePort(), postgres: await freePort(), s3: await freePort(), smtp: await freePort() };
}

/** The environment of `npm start` on this data folder and these ports, and nothing else of the test's. */
export function npmStartEnv(dataDir: string, ports: StartPorts): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PHR_DATA_DIR: dataDir,
    PHR_API_PORT: String(ports.api),
    PHR_PORTAL_PORT: String(ports.portal),
    PHR_POSTGRES_PORT: String(ports.postgres),
    PHR_S3_PORT: String(ports.s3),
    PHR_SMTP_PORT: String(ports.smtp),
  };
}

/** Polls `condition` until it holds; the ceiling is generous because the machine may be busy. */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Kills what the run record of this data folder names and is still the same process: the orchestrator and every part. */
export async function killRecordedParts(dataDir: string): Promise<void> {
  const record = await readRunRecord(dataDir);
  for (const recorded of [record?.orchestrator, ...(record?.parts ?? [])]) {
    if (recorded && startTimeOf(recorded.pid) === recorded.startTime) process.kill(recorded.isGroup ? -recorded.pid : recorded.pid, 'SIGKILL');
  }
}
