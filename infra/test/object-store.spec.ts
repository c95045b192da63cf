import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, get as httpGet, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { signV4 } from 'minio/dist/esm/signing.mjs';

import { startObjectStore, type RunningObjectStore } from '../local/object-store/index.js';

const ACCESS_KEY = 'phr-test-access-key';
const SECRET_KEY = 'phr-test-secret-key-0123456789';
const REGION = 'us-east-1';
const BUCKET = 'records';
const APP_ORIGIN = 'http://app.localhost:5173';
const OTHER_ORIGIN = 'http://evil.example';

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

/** Polls until `condition` holds (a generous ceiling: the machine may be busy). */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function clientFor(
  store: RunningObjectStore,
  keys: { accessKey: string; secretKey: string } = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
): Client {
  return new Client({
    endPoint: '127.0.0.1',
    port: store.port,
    useSSL: false,
    ...keys,
    // Without it minio first asks the store for the bucket's region (GET ?location).
    region: REGION,
  });
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

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const amzDate = (date: Date): string => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * A header-signed request made with minio's own signer, so that the test can choose what a
 * real client cannot: an old date, a body other than the one signed, another path.
 */
async function headerSignedFetch(
  store: RunningObjectStore,
  request: { method: string; signedPath: string; sentPath?: string; body?: string; signedBody?: string; date?: Date; region?: string },
): Promise<Response> {
  const { method, signedPath, sentPath = signedPath, body = '', signedBody = body, date = new Date(), region = REGION } = request;
  const payloadHash = sha256Hex(signedBody);
  const headers = { 'x-amz-date': amzDate(date), 'x-amz-content-sha256': payloadHash };
  // fetch sends Host from the URL, which is the value signed here.
  const host = new URL(store.endpoint).host;
  const authorization = signV4(
    { protocol: 'http:', method, path: signedPath, headers: { ...headers, host } },
    ACCESS_KEY,
    SECRET_KEY,
    region,
    date,
    payloadHash,
  );
  return fetch(`${store.endpoint}${sentPath}`, {
    method,
    headers: { ...headers, authorization },
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  });
}

function changeOneSignatureCharacter(url: string): string {
  const parsed = new URL(url);
  const signature = parsed.searchParams.get('X-Amz-Signature')!;
  const last = signature.at(-1) === '0' ? '1' : '0';
  parsed.searchParams.set('X-Amz-Signature', signature.slice(0, -1) + last);
  return parsed.toString();
}

async function expectS3Error(response: Response, status: number, code: string): Promise<string> {
  const body = await response.text();
  expect(response.status).toBe(status);
  expect(body).toContain(`<Code>${code}</Code>`);
  return body;
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
    it('round-trips bytes through a presigned PUT and a presigned GET', async () => {
      const bytes = new Uint8Array(256 * 1024).map((_, index) => (index * 31) % 256);

      const putUrl = await client.presignedPutObject(BUCKET, 'scan.bin', 60);
      const put = await fetch(putUrl, { method: 'PUT', body: bytes });
      expect(put.status).toBe(200);

      const getUrl = await client.presignedGetObject(BUCKET, 'scan.bin', 60);
      const get = await fetch(getUrl);
      expect(get.status).toBe(200);
      expect(new Uint8Array(await get.arrayBuffer())).toEqual(bytes);
    });

    it('serves the minio client signing with the right keys', async () => {
      expect(await client.bucketExists(BUCKET)).toBe(true);
      expect(await client.bucketExists('no-such-bucket')).toBe(false);

      await client.putObject(BUCKET, 'notes/visit 1.txt', Buffer.from('blood pressure normal'));
      const stat = await client.statObject(BUCKET, 'notes/visit 1.txt');
      expect(stat.size).toBe('blood pressure normal'.length);

      await client.removeObject(BUCKET, 'notes/visit 1.txt');
      await expect(client.statObject(BUCKET, 'notes/visit 1.txt')).rejects.toMatchObject({ code: 'NotFound' });
    });

    it('serves presigned GETs with response header overrides', async () => {
      await client.putObject(BUCKET, 'letter.pdf', Buffer.from('%PDF-1.7'));
      const url = await client.presignedGetObject(BUCKET, 'letter.pdf', 60, {
        'response-content-disposition': 'attachment; filename="letter (1).pdf"',
      });

      const response = await fetch(url);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="letter (1).pdf"');
    });

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

  describe('listing more than one page', () => {
    const KEY_COUNT = 1_050;
    const keys = Array.from({ length: KEY_COUNT }, (_, index) => `backup/${String(index).padStart(5, '0')}`);

    const collect = (stream: NodeJS.ReadableStream): Promise<string[]> =>
      new Promise((resolve, reject) => {
        const names: string[] = [];
        stream.on('data', (item: { name?: string }) => names.push(item.name ?? ''));
        stream.once('end', () => resolve(names));
        stream.once('error', reject);
      });

    it('pages through every key with ListObjectsV2 continuation tokens and with ListObjectsV1 markers', async () => {
      for (let next = 0; next < keys.length; next += 50) {
        await Promise.all(keys.slice(next, next + 50).map((key) => client.putObject(BUCKET, key, Buffer.from(key))));
      }

      expect(await collect(client.listObjectsV2(BUCKET, 'backup/', true))).toEqual(keys);
      expect(await collect(client.listObjectsV2(BUCKET, 'backup/', true, keys[9]))).toEqual(keys.slice(10));
      expect(await collect(client.listObjects(BUCKET, 'backup/', true))).toEqual(keys);
    }, 120_000);

    it('refuses a continuation token it did not issue', async () => {
      const response = await headerSignedFetch(store, {
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

    it('refuses an unsigned GET', async () => {
      const response = await fetch(`${store.endpoint}/${BUCKET}/private.txt`);

      const body = await expectS3Error(response, 403, 'AccessDenied');
      expect(body).not.toContain('confidential');
    });

    it('refuses an unsigned PUT and leaves the object as it was', async () => {
      const response = await fetch(`${store.endpoint}/${BUCKET}/private.txt`, { method: 'PUT', body: 'overwritten' });

      await expectS3Error(response, 403, 'AccessDenied');
      const stat = await client.statObject(BUCKET, 'private.txt');
      expect(stat.size).toBe('diagnosis: confidential'.length);
    });

    it('refuses a presigned URL with one signature character changed', async () => {
      const url = await client.presignedGetObject(BUCKET, 'private.txt', 60);

      const response = await fetch(changeOneSignatureCharacter(url));

      await expectS3Error(response, 403, 'SignatureDoesNotMatch');
    });

    it('refuses a presigned URL whose path points at another object', async () => {
      await client.putObject(BUCKET, 'mine.txt', Buffer.from('my own record'));
      const url = new URL(await client.presignedGetObject(BUCKET, 'mine.txt', 60));
      url.pathname = `/${BUCKET}/private.txt`;

      const response = await fetch(url);

      const body = await expectS3Error(response, 403, 'SignatureDoesNotMatch');
      expect(body).not.toContain('confidential');
    });

    it('refuses a presigned URL with a query parameter added after signing', async () => {
      const url = new URL(await client.presignedGetObject(BUCKET, 'private.txt', 60));
      url.searchParams.set('response-content-type', 'text/html');

      await expectS3Error(await fetch(url), 403, 'SignatureDoesNotMatch');
    });

    it('refuses a presigned URL whose X-Amz-Expires was raised after signing', async () => {
      const url = new URL(await client.presignedGetObject(BUCKET, 'private.txt', 60));
      url.searchParams.set('X-Amz-Expires', '604800');

      await expectS3Error(await fetch(url), 403, 'SignatureDoesNotMatch');
    });

    it('refuses a presigned URL once it has expired', async () => {
      const url = await client.presignedGetObject(BUCKET, 'private.txt', 1);
      await new Promise((resolve) => setTimeout(resolve, 1500));

      const body = await expectS3Error(await fetch(url), 403, 'AccessDenied');
      expect(body).toContain('Request has expired');
    });

    it('refuses a presigned GET URL used with method PUT', async () => {
      const url = await client.presignedGetObject(BUCKET, 'private.txt', 60);

      const response = await fetch(url, { method: 'PUT', body: 'overwritten' });

      await expectS3Error(response, 403, 'SignatureDoesNotMatch');
      const stat = await client.statObject(BUCKET, 'private.txt');
      expect(stat.size).toBe('diagnosis: confidential'.length);
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

    it('refuses a client signing with a wrong secret key', async () => {
      const impostor = clientFor(store, { accessKey: ACCESS_KEY, secretKey: 'not-the-secret' });

      await expect(impostor.putObject(BUCKET, 'planted.txt', Buffer.from('x'))).rejects.toMatchObject({
        code: 'SignatureDoesNotMatch',
      });
      // HEAD answers carry no body: minio names the bare 403 AccessDenied.
      await expect(impostor.statObject(BUCKET, 'private.txt')).rejects.toMatchObject({ code: 'AccessDenied' });
      await expect(client.statObject(BUCKET, 'planted.txt')).rejects.toMatchObject({ code: 'NotFound' });
    });

    it('refuses a client signing with a wrong access key', async () => {
      const impostor = clientFor(store, { accessKey: 'someone-else', secretKey: SECRET_KEY });

      await expect(impostor.putObject(BUCKET, 'planted.txt', Buffer.from('x'))).rejects.toMatchObject({
        code: 'InvalidAccessKeyId',
      });
      await expect(impostor.statObject(BUCKET, 'private.txt')).rejects.toMatchObject({ code: 'AccessDenied' });
    });

    it('refuses a header-signed request sent to another path than the one signed', async () => {
      const response = await headerSignedFetch(store, {
        method: 'GET',
        signedPath: `/${BUCKET}/mine.txt`,
        sentPath: `/${BUCKET}/private.txt`,
      });

      await expectS3Error(response, 403, 'SignatureDoesNotMatch');
    });

    it('refuses a header-signed request dated more than 15 minutes ago', async () => {
      const response = await headerSignedFetch(store, {
        method: 'GET',
        signedPath: `/${BUCKET}/private.txt`,
        date: new Date(Date.now() - 16 * 60 * 1000),
      });

      await expectS3Error(response, 403, 'RequestTimeTooSkewed');
    });

    it('refuses a header-signed request signed for another region', async () => {
      const response = await headerSignedFetch(store, {
        method: 'GET',
        signedPath: `/${BUCKET}/private.txt`,
        region: 'eu-central-1',
      });

      await expectS3Error(response, 403, 'AuthorizationHeaderMalformed');
    });

    it('refuses a header-signed PUT whose body is not the one hashed in the signature', async () => {
      const response = await headerSignedFetch(store, {
        method: 'PUT',
        signedPath: `/${BUCKET}/private.txt`,
        signedBody: 'harmless',
        body: 'tampered',
      });

      await expectS3Error(response, 400, 'XAmzContentSHA256Mismatch');
      const stat = await client.statObject(BUCKET, 'private.txt');
      expect(stat.size).toBe('diagnosis: confidential'.length);
    });

    it('accepts the same header-signed PUT when the body matches its hash', async () => {
      const response = await headerSignedFetch(store, {
        method: 'PUT',
        signedPath: `/${BUCKET}/signed.txt`,
        body: 'matching body',
      });

      expect(response.status).toBe(200);
      expect((await client.statObject(BUCKET, 'signed.txt')).size).toBe('matching body'.length);
    });

    it('refuses object keys with ".." segments that would leave the data directory', async () => {
      const response = await headerSignedFetch(store, { method: 'GET', signedPath: `/${BUCKET}/a%2F..%2F..%2F..%2Fetc` });

      await expectS3Error(response, 400, 'InvalidURI');
    });
  });

  describe('CORS for browsers', () => {
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${store.endpoint}/${BUCKET}/upload.bin`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type',
        },
      });

    it('answers a preflight from an allowed origin with Access-Control-Allow-Origin', async () => {
      const response = await preflight(APP_ORIGIN);

      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).not.toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
    });

    it('answers a preflight from another origin without Access-Control-Allow-Origin', async () => {
      const response = await preflight(OTHER_ORIGIN);

      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('returns CORS headers on presigned PUT and GET from an allowed origin', async () => {
      const putUrl = await client.presignedPutObject(BUCKET, 'upload.bin', 60);
      const put = await fetch(putUrl, { method: 'PUT', headers: { origin: APP_ORIGIN }, body: 'ciphertext' });
      expect(put.status).toBe(200);
      expect(put.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(put.headers.get('access-control-expose-headers')).toContain('ETag');

      const getUrl = await client.presignedGetObject(BUCKET, 'upload.bin', 60);
      const get = await fetch(getUrl, { headers: { origin: APP_ORIGIN } });
      expect(get.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(await get.text()).toBe('ciphertext');
    });

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
