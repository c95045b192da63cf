/**
 * The whole product started as `npm start` starts it, but on free ports, with
 * its data in a temporary folder and a fresh database that `stop()` drops: what
 * the dynamic scan, the TLS check and the benchmarks run against.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { startStack, type RunningStack } from './stack.js';
import { dropDatabase, startTestServer } from './test-database.js';

export interface ThrowawayStack {
  stack: RunningStack;
  /** A temporary folder of the run's own, removed by stop(). */
  workDir: string;
  /** The name of the fresh database (on `stack.databaseAdminUrl`'s server). */
  database: string;
  stop(): Promise<void>;
}

export async function startThrowawayStack(label: string, options: { env?: Record<string, string>; build: boolean; apiInstances?: number }): Promise<ThrowawayStack> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `phr-${label}-`));
  const server = await startTestServer();
  const database = `phr_${label}_${randomBytes(4).toString('hex')}`;
  const cleanUp = async () => {
    await dropDatabase(server.adminUrl, database).catch(() => undefined);
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  let stack: RunningStack;
  try {
    stack = await startStack({
      dataDir: path.join(workDir, 'data'),
      apiPort: await freePort(),
      apiInstances: options.apiInstances,
      portalPort: await freePort(),
      postgresPort: await freePort(),
      s3Port: await freePort(),
      smtpPort: await freePort(),
      database,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: server.adminUrl, ...options.env },
      build: options.build,
      log: () => undefined,
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    stack,
    workDir,
    database,
    stop: async () => {
      await stack.stop();
      await cleanUp();
    },
  };
}
