/**
 * The Compose store's own start-up, run here on Debian's Ceph (16.2.15; the image carries
 * 20.2.4): infra/docker/ceph/entrypoint.sh as docker-compose.yml runs it (BlueStore on a file,
 * the manager on), stopped with SIGTERM as `docker compose stop` does and started again on the
 * same folder as a restarted container is; and the `store-init` step run as an operator would.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';

import { startRgw, type RunningRgw } from '../../local/ceph/rgw.js';
import { REPO_ROOT } from '../support/compose-file.js';
import { REGION } from '../support/s3-contract.js';
import { rgwFromEnvironment } from './rgw-support.js';

const run = promisify(execFile);
const ENTRYPOINT = path.join(REPO_ROOT, 'infra/docker/ceph/entrypoint.sh');

function clientOf(endpoint: string, accessKey: string, secretKey: string): Client {
  const url = new URL(endpoint);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, region: REGION, pathStyle: true });
}

/** The Compose health check, with the container's settings. */
async function healthy(store: RunningRgw): Promise<boolean> {
  try {
    await run('bash', [ENTRYPOINT, 'health'], { env: { PATH: process.env.PATH, CEPH_DATA: path.join(store.dataDir, 'cluster'), RGW_ENDPOINT: `127.0.0.1:${store.port}` } });
    return true;
  } catch {
    return false;
  }
}

describe('the Compose store (infra/docker/ceph/entrypoint.sh) on BlueStore with a manager', () => {
  const started: RunningRgw[] = [];
  afterAll(async () => {
    for (const store of started) await store.stop();
    if (started[0]) await rm(started[0].dataDir, { recursive: true, force: true });
  });

  it('keeps its objects across a stop and a start, applies changed keys, and is healthy only while it serves', async () => {
    const first = await startRgw({ objectStore: 'bluestore', manager: true, keep: true });
    started.push(first);
    const firstClient = clientOf(first.endpoint, first.accessKey, first.secretKey);
    await firstClient.makeBucket('kept', REGION);
    await firstClient.putObject('kept', 'records/a/0', Buffer.from('sealed bytes'));
    expect(await healthy(first)).toBe(true);

    await first.stop();
    expect(first.exitCode()).toBe(0);
    expect(await healthy(first)).toBe(false);

    const newSecret = randomBytes(20).toString('hex');
    const second = await startRgw({ reuse: first, objectStore: 'bluestore', manager: true, accessKey: first.accessKey, secretKey: newSecret });
    started.push(second);
    expect(await healthy(second)).toBe(true);
    const stat = await clientOf(second.endpoint, first.accessKey, newSecret).statObject('kept', 'records/a/0');
    expect(stat.size).toBe('sealed bytes'.length);
    await expect(clientOf(second.endpoint, first.accessKey, first.secretKey).statObject('kept', 'records/a/0')).rejects.toMatchObject({ code: 'AccessDenied' });
  }, 300_000);
});

describe('store-init (backend/src/cli/store-init.ts) run as an operator would', () => {
  const rgw = rgwFromEnvironment();
  const bucket = `init-${randomBytes(4).toString('hex')}`;
  const storeInit = (env: Record<string, string>) =>
    run(process.execPath, ['--import', 'tsx', 'backend/src/cli/store-init.ts'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env } }).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
  const settings = {
    S3_ENDPOINT: rgw.endpoint.origin,
    S3_ACCESS_KEY: rgw.accessKey,
    S3_SECRET_KEY: rgw.secretKey,
    S3_BUCKET: bucket,
    PORTAL_ORIGIN: 'https://records.example.org',
  };

  afterAll(async () => {
    const client = clientOf(rgw.endpoint.origin, rgw.accessKey, rgw.secretKey);
    if (await client.bucketExists(bucket)) await client.removeBucket(bucket);
  });

  it('creates the private bucket with CORS for the portal only, and changes nothing when run again', async () => {
    expect(await storeInit(settings)).toEqual({ code: 0, output: `store-init: bucket ${bucket} created; CORS allows https://records.example.org only\n` });
    expect(await storeInit(settings)).toEqual({ code: 0, output: `store-init: bucket ${bucket} already there; CORS allows https://records.example.org only\n` });

    const preflight = (origin: string) =>
      fetch(`${rgw.endpoint.origin}/${bucket}/records/x/0`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'if-none-match' } });
    expect((await preflight('https://records.example.org')).headers.get('access-control-allow-origin')).toBe('https://records.example.org');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${rgw.endpoint.origin}/${bucket}`)).status).toBe(403);
  });

  it('refuses to run without the store’s address and keys, naming what is missing', async () => {
    expect(await storeInit({ PORTAL_ORIGIN: 'https://records.example.org' })).toEqual({ code: 1, output: 'store-init failed: store-init: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY must be set\n' });
  });

  it('fails, saying why, when the keys are wrong', async () => {
    // The store refuses the first call (HEAD of the bucket, no body): minio words the bare 403.
    expect(await storeInit({ ...settings, S3_SECRET_KEY: 'not-the-secret' })).toEqual({ code: 1, output: 'store-init failed: Valid and authorized credentials required\n' });
  });
});
