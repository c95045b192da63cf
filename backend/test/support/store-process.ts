/**
 * The embedded object store in a process of its own (infra/local/object-store/serve.ts),
 * so a test can freeze, stop and restart it under a running API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@phr/infra/local/ports.js';
import { startChild, stopChild, type Child } from '@phr/infra/local/processes.js';
import { REPO_ROOT } from './compile-api.js';
import { TEST_PORTAL_ORIGIN } from './http.js';
import { freezeProcessTree, thawProcessTree } from './process-tree.js';

export interface StoreProcess {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** What a test app needs to use this store. */
  env: Record<string, string>;
  freeze(): void;
  thaw(): void;
  /** Stops the process; `start` runs a new one on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

export async function startStoreProcess(): Promise<StoreProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-s3-process-'));
  const port = await freePort();
  const accessKey = 'test-access-key';
  const secretKey = randomBytes(20).toString('hex');
  const endpoint = `http://127.0.0.1:${port}`;
  let child: Child | null = null;

  const start = async (): Promise<void> => {
    const lines: string[] = [];
    let announce: () => void = () => undefined;
    const listening = new Promise<void>((resolve) => (announce = resolve));
    child = startChild('store', process.execPath, ['--import', 'tsx', 'infra/local/object-store/serve.ts'], {
      cwd: REPO_ROOT,
      log: (line) => {
        lines.push(line);
        if (line.includes('listening ')) announce();
      },
      env: {
        PATH: process.env.PATH,
        STORE_PORT: String(port),
        STORE_DATA_DIR: dataDir,
        STORE_ACCESS_KEY: accessKey,
        STORE_SECRET_KEY: secretKey,
        STORE_BUCKET: 'phr-records',
        STORE_CORS_ORIGINS: TEST_PORTAL_ORIGIN,
      },
    });
    const exited = child.exited.then((code) => new Error(`The store process exited (${code}) before it served:\n${lines.join('\n')}`));
    const failure = await Promise.race([listening.then(() => null), exited]);
    if (failure) throw failure;
  };
  const stop = async (): Promise<void> => {
    if (!child) return;
    thawProcessTree(child.process.pid as number);
    await stopChild(child);
    child = null;
  };

  await start();
  return {
    endpoint,
    accessKey,
    secretKey,
    env: { S3_ENDPOINT: endpoint, S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey },
    freeze: () => freezeProcessTree(child?.process.pid as number),
    thaw: () => thawProcessTree(child?.process.pid as number),
    stop,
    start,
    close: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
