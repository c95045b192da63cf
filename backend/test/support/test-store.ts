/**
 * The object store of one test app. By default the embedded store (s3rver behind the
 * signature-checking proxy), in a folder of its own. In the `rgw` Jest project
 * (PHR_TEST_OBJECT_STORE=rgw, set by its setup file) a bucket of its own on the one
 * RADOS Gateway its global setup started (infra/test/rgw/global-setup.mjs), prepared
 * as store-init prepares production's: private, CORS for the portal's origin.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import { startObjectStore, type RunningObjectStore } from '@phr/infra/local/object-store/index.js';
import { prepareBucket, removeBucket } from '../../src/storage/bucket-setup.js';

export interface TestStore {
  store: RunningObjectStore;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Stops the store (or removes the bucket) and its data. */
  close(): Promise<void>;
}

export interface TestStoreOptions {
  corsOrigin: string;
  /** The embedded store's clock relative to the machine's; a real server's clock is the machine's. */
  clockOffsetMs?: number;
}

const REGION = 'us-east-1';

export function usesRealStore(): boolean {
  return process.env.PHR_TEST_OBJECT_STORE === 'rgw';
}

export async function startTestStore(options: TestStoreOptions): Promise<TestStore> {
  return usesRealStore() ? bucketOnRgw(options) : embeddedStore(options);
}

async function embeddedStore(options: TestStoreOptions): Promise<TestStore> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-s3-'));
  const accessKey = 'test-access-key';
  const secretKey = randomBytes(20).toString('hex');
  const bucket = 'phr-records';
  const store = await startObjectStore({ dataDir, port: 0, accessKey, secretKey, buckets: [{ name: bucket, corsOrigins: [options.corsOrigin] }], clockOffsetMs: options.clockOffsetMs });
  return {
    store,
    accessKey,
    secretKey,
    bucket,
    close: async () => {
      await store.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function bucketOnRgw(options: TestStoreOptions): Promise<TestStore> {
  if (options.clockOffsetMs) throw new Error('A store clock offset needs the embedded store: the RADOS Gateway runs on this machine’s clock');
  const endpoint = new URL(requiredEnv('PHR_TEST_RGW_ENDPOINT'));
  const accessKey = requiredEnv('PHR_TEST_RGW_ACCESS_KEY');
  const secretKey = requiredEnv('PHR_TEST_RGW_SECRET_KEY');
  const client = new Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey, secretKey, region: REGION, pathStyle: true });
  const bucket = `phr-test-${randomBytes(6).toString('hex')}`;
  await prepareBucket(client, { bucket, region: REGION, corsOrigins: [options.corsOrigin] });
  let closing: Promise<void> | undefined;
  const removeIt = (): Promise<void> => (closing ??= removeBucket(client, bucket));
  return {
    store: { endpoint: endpoint.origin, port: Number(endpoint.port), stop: removeIt },
    accessKey,
    secretKey,
    bucket,
    close: removeIt,
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the rgw Jest project's global setup provides it`);
  return value;
}
