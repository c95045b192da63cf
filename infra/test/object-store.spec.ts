/**
 * The embedded store (s3rver behind the signature-checking proxy, infra/local/object-store/):
 * first what every store the product runs on must do (support/s3-contract.ts, which
 * rgw/object-store.spec.ts runs against Ceph's RADOS Gateway too), then what only this
 * store has to answer for: its data folder, restarts, a full disk, s3rver's connections,
 * and the refusals its own verifier words.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, get as httpGet, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Client } from 'minio';

import { startObjectStore, type RunningObjectStore } from '../local/object-store/index.js';
import { APP_ORIGIN, OTHER_ORIGIN, changeOneSignatureCharacter, clientFor as contractClientFor, describeS3Contract, expectS3Error, headerSignedFetch, type StoreUnderTest } from './support/s3-contract.js';

const ACCESS_KEY = 'phr-test-access-key';
const SECRET_KEY = 'phr-test-secret-key-0123456789';
const BUCKET = 'records';

const tempDirs: string[] = [];
const runningStores: RunningObjectStore[] = [];

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'phr-object-store-'));
  tempDirs.push(dir);
  return dir;
}

async function startStore(dataDir: string, log?: (line: string) => void): Promise<RunningObjectStore> {
  const store = await startObjectStore({
    dataDir,
    port: 0,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    buckets: [{ name: BUCKET, corsOrigins: [APP_ORIGIN] }],
    log,
  });
  runningStores.push(store);
  storeDirs.set(store, dataDir);
  return store;
}

const storeDirs = new Map<RunningObjectStore, string>();
const dataDirOf = (store: RunningObjectStore): string => storeDirs.get(store)!;

/** The running store as the shared contract sees it. */
function underTest(store: RunningObjectStore): StoreUnderTest {
  return { endpoint: store.endpoint, port: store.port, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, bucket: BUCKET, stop: () => store.stop() };
}

/** Polls until `condition` holds (a generous ceiling: the machine may be busy). */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function clientFor(store: RunningObjectStore, keys: { accessKey: string; secretKey: string } = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY }): Client {
  return contractClientFor(underTest(store), keys);
}

const run = promisify(execFile);

function getText(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.once('error', reject);
    }).once('error', reject);
  });
}

afterEach(async () => {
  await Promise.all(runningStores.splice(0).map((store) => store.stop()));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('embedded object store', () => {
  let store: RunningObjectStore;
  let client: Client;

  beforeEach(async () => {
    store = await startStore(await freshDataDir());
    client = clientFor(store);
  });

  describe('with valid signatures', () => {
    it('keeps the old object when an upload is cut off midway', async () => {
      await client.putObject(BUCKET, 'record.bin', Buffer.from('the old version'));
      const url = new URL(await client.presignedPutObject(BUCKET, 'record.bin', 60));
      const upload = httpRequest(url, { method: 'PUT', headers: { 'content-length': 1024 * 1024 } });
      upload.on('error', () => undefined);
      upload.write(Buffer.alloc(256 * 1024, 1));
      await waitFor(async () => (await readdir(join(dataDirOf(store), BUCKET))).some((name) => name.endsWith('.partial')));

      upload.destroy();

      await waitFor(async () => !(await readdir(join(dataDirOf(store), BUCKET))).some((name) => name.endsWith('.partial')));
      const get = await fetch(await client.presignedGetObject(BUCKET, 'record.bin', 60));
      expect(await get.text()).toBe('the old version');
    });

    it('still has its objects after a restart on the same data directory', async () => {
      const dataDir = await freshDataDir();
      const first = await startStore(dataDir);
      await clientFor(first).putObject(BUCKET, 'kept.txt', Buffer.from('still here'));
      await first.stop();

      const second = await startStore(dataDir);
      const url = await clientFor(second).presignedGetObject(BUCKET, 'kept.txt', 60);
      const response = await fetch(url);

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('still here');
    });
  });

  describe('listing', () => {
    it('refuses a continuation token it did not issue', async () => {
      const response = await headerSignedFetch(underTest(store), {
        method: 'GET',
        signedPath: `/${BUCKET}?continuation-token=${encodeURIComponent('not-a-token')}&list-type=2`,
      });

      await expectS3Error(response, 400, 'InvalidArgument');
    });
  });

  describe('keep-alive connections to s3rver', () => {
    it('serves a request forwarded on an idle upstream connection just before s3rver would have timed it out', async () => {
      await client.putObject(BUCKET, 'probe.txt', Buffer.from('still answering'));
      const url = await client.presignedGetObject(BUCKET, 'probe.txt', 60);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        // Leaves an idle connection from this client to the proxy, and one from the proxy to s3rver.
        expect(await getText(url, agent)).toEqual({ status: 200, body: 'still answering' });

        // The next request's bytes reach the proxy before the event loop turns again; the proxy
        // forwards it in the next turn. Right after that, the process stalls as on a busy machine,
        // past s3rver's idle timeout (5 s, and Node's 1 s of grace, until it was raised): when it runs again, s3rver's
        // timer fires before s3rver has read the forwarded request.
        const second = getText(url, agent);
        setImmediate(() => setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6_500)));

        expect(await second).toEqual({ status: 200, body: 'still answering' });
      } finally {
        agent.destroy();
      }
    });

    it('serves a request sent on an idle client connection while the process stalls past Node’s default keep-alive timeout', async () => {
      await client.putObject(BUCKET, 'probe-client.txt', Buffer.from('still answering'));
      const url = await client.presignedGetObject(BUCKET, 'probe-client.txt', 60);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expect(await getText(url, agent)).toEqual({ status: 200, body: 'still answering' });
        // The client reuses its idle connection to the proxy; the process (API, store and
        // tests share one on a test run) stalls past 5 s before the proxy reads the request.
        // With Node's default keep-alive timeout the proxy's idle timer closed the
        // connection first: ECONNRESET (seen in account-erasure.spec under load).
        const second = getText(url, agent);
        setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6_500));
        expect(await second).toEqual({ status: 200, body: 'still answering' });
      } finally {
        agent.destroy();
      }
    });
  });

  describe('on a full disk', () => {
    let mountPoint: string;
    let fullStore: RunningObjectStore;
    let fullClient: Client;
    const logLines: string[] = [];

    // A real file system that fills up: a 1 MiB tmpfs under the test's own folder (needs root,
    // as CI and the development machines run).
    beforeEach(async () => {
      mountPoint = join(await freshDataDir(), 'objects');
      await mkdir(mountPoint);
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'phr-full-disk-test', mountPoint]);
      fullStore = await startStore(mountPoint, (line) => logLines.push(line));
      fullClient = clientFor(fullStore);
    });
    afterEach(async () => {
      await fullStore.stop();
      await run('umount', [mountPoint]);
    });

    it('refuses an upload that does not fit with 507 and an S3 error, logs it, keeps the old object and keeps serving', async () => {
      await fullClient.putObject(BUCKET, 'record.bin', Buffer.from('the old version'));
      const putUrl = await fullClient.presignedPutObject(BUCKET, 'record.bin', 60);

      const refused = await fetch(putUrl, { method: 'PUT', body: new Uint8Array(2 * 1024 * 1024).fill(7) });

      const body = await expectS3Error(refused, 507, 'InsufficientStorage');
      expect(body).toContain('no space left');
      expect(logLines.join('\n')).toContain(`no space left in ${mountPoint}; refused PUT /${BUCKET}/record.bin with 507`);
      const get = await fetch(await fullClient.presignedGetObject(BUCKET, 'record.bin', 60));
      expect(await get.text()).toBe('the old version');
      // The partial file was removed, so what fits is stored again.
      await fullClient.putObject(BUCKET, 'small.bin', Buffer.alloc(64 * 1024, 1));
      expect((await fullClient.statObject(BUCKET, 'small.bin')).size).toBe(64 * 1024);
      expect((await readdir(join(mountPoint, BUCKET))).filter((name) => name.endsWith('.partial'))).toEqual([]);
    });
  });

  describe('refusing what was not signed', () => {
    beforeEach(async () => {
      await client.putObject(BUCKET, 'private.txt', Buffer.from('diagnosis: confidential'));
    });

    it('says why a presigned URL was refused once it has expired', async () => {
      // Signed 10 s ago for 1 s: expired when it arrives, with no waiting.
      const url = await client.presignedUrl('GET', BUCKET, 'private.txt', 1, {}, new Date(Date.now() - 10_000));

      const body = await expectS3Error(await fetch(url), 403, 'AccessDenied');
      expect(body).toContain('Request has expired');
    });

    it('refuses a presigned PUT carrying an unsigned x-amz-copy-source header', async () => {
      // s3rver would otherwise copy private.txt into a key the URL holder can write.
      const url = await client.presignedPutObject(BUCKET, 'upload.txt', 60);

      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'x-amz-copy-source': `/${BUCKET}/private.txt` },
      });

      await expectS3Error(response, 403, 'AccessDenied');
      await expect(client.statObject(BUCKET, 'upload.txt')).rejects.toMatchObject({ code: 'NotFound' });
    });

    it('refuses a header-signed request signed for another region', async () => {
      const response = await headerSignedFetch(underTest(store), {
        method: 'GET',
        signedPath: `/${BUCKET}/private.txt`,
        region: 'eu-central-1',
      });

      await expectS3Error(response, 403, 'AuthorizationHeaderMalformed');
    });

    it('refuses object keys with ".." segments that would leave the data directory', async () => {
      const response = await headerSignedFetch(underTest(store), { method: 'GET', signedPath: `/${BUCKET}/a%2F..%2F..%2F..%2Fetc` });

      await expectS3Error(response, 400, 'InvalidURI');
    });
  });

  describe('CORS for browsers', () => {
    it('lets a page on an allowed origin read why its presigned URL was refused', async () => {
      const url = await client.presignedGetObject(BUCKET, 'upload.bin', 60);

      const allowed = await fetch(changeOneSignatureCharacter(url), { headers: { origin: APP_ORIGIN } });
      const other = await fetch(changeOneSignatureCharacter(url), { headers: { origin: OTHER_ORIGIN } });

      expect(allowed.status).toBe(403);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

describeS3Contract('embedded object store', {
  start: async () => underTest(await startStore(await freshDataDir())),
});
