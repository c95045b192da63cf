/**
 * What the product needs of any S3 store it runs on, as tests that take the store as a
 * parameter: the embedded store (object-store.spec.ts) and Ceph's RADOS Gateway, the store
 * of docker-compose.yml (rgw/object-store.spec.ts). Pre-signed PUT and GET, and every way
 * of misusing them refused; header-signed requests checked; listings paged past 1,000 keys;
 * CORS for the portal's origin only. Where the two stores answer differently but both
 * refuse, the test accepts S3's code and leaves the wording to each store's own spec.
 */
import { createHash } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { signV4 } from 'minio/dist/esm/signing.mjs';

import { SigV4Presigner } from '../../../backend/src/storage/sigv4-presigner.js';

export const APP_ORIGIN = 'http://app.localhost:5173';
export const OTHER_ORIGIN = 'http://evil.example';
export const REGION = 'us-east-1';

export interface StoreUnderTest {
  /** e.g. http://127.0.0.1:9000 */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** A private bucket whose CORS rules allow APP_ORIGIN only. */
  bucket: string;
  /** Stops the store, or removes the bucket. */
  stop(): Promise<void>;
}

export interface ContractOptions {
  /** A fresh store (or bucket) for each test. */
  start(): Promise<StoreUnderTest>;
}

export function clientFor(store: StoreUnderTest, keys: { accessKey: string; secretKey: string } = store): Client {
  return new Client({
    endPoint: '127.0.0.1',
    port: store.port,
    useSSL: false,
    accessKey: keys.accessKey,
    secretKey: keys.secretKey,
    pathStyle: true,
    // Without it minio first asks the store for the bucket's region (GET ?location).
    region: REGION,
  });
}

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const amzDate = (date: Date): string => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * A header-signed request made with minio's own signer, so that the test can choose what a
 * real client cannot: an old date, a body other than the one signed, another path.
 */
export async function headerSignedFetch(
  store: StoreUnderTest,
  request: { method: string; signedPath: string; sentPath?: string; body?: string; signedBody?: string; date?: Date; region?: string },
): Promise<Response> {
  const { method, signedPath, sentPath = signedPath, body = '', signedBody = body, date = new Date(), region = REGION } = request;
  const payloadHash = sha256Hex(signedBody);
  const headers = { 'x-amz-date': amzDate(date), 'x-amz-content-sha256': payloadHash };
  // fetch sends Host from the URL, which is the value signed here.
  const host = new URL(store.endpoint).host;
  const authorization = signV4({ protocol: 'http:', method, path: signedPath, headers: { ...headers, host } }, store.accessKey, store.secretKey, region, date, payloadHash);
  return fetch(`${store.endpoint}${sentPath}`, {
    method,
    headers: { ...headers, authorization },
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  });
}

export function changeOneSignatureCharacter(url: string): string {
  const parsed = new URL(url);
  const signature = parsed.searchParams.get('X-Amz-Signature')!;
  const last = signature.at(-1) === '0' ? '1' : '0';
  parsed.searchParams.set('X-Amz-Signature', signature.slice(0, -1) + last);
  return parsed.toString();
}

export async function expectS3Error(response: Response, status: number, code: string): Promise<string> {
  const body = await response.text();
  expect({ status: response.status, body }).toEqual({ status, body: expect.stringContaining(`<Code>${code}</Code>`) });
  return body;
}

export function describeS3Contract(title: string, options: ContractOptions): void {
  describe(`${title}: what the product needs of an S3 store`, () => {
    let store: StoreUnderTest;
    let client: Client;
    let bucket: string;

    beforeEach(async () => {
      store = await options.start();
      client = clientFor(store);
      bucket = store.bucket;
    });
    afterEach(async () => {
      await store?.stop();
    });

    describe('with valid signatures', () => {
      it('round-trips bytes through a presigned PUT and a presigned GET', async () => {
        const bytes = new Uint8Array(256 * 1024).map((_, index) => (index * 31) % 256);

        const putUrl = await client.presignedPutObject(bucket, 'scan.bin', 60);
        const put = await fetch(putUrl, { method: 'PUT', body: bytes });
        expect(put.status).toBe(200);

        const getUrl = await client.presignedGetObject(bucket, 'scan.bin', 60);
        const get = await fetch(getUrl);
        expect(get.status).toBe(200);
        expect(new Uint8Array(await get.arrayBuffer())).toEqual(bytes);
      });

      it('serves the minio client signing with the right keys: exists, put, stat (the commit check), remove', async () => {
        expect(await client.bucketExists(bucket)).toBe(true);
        expect(await client.bucketExists('no-such-bucket')).toBe(false);

        await client.putObject(bucket, 'notes/visit 1.txt', Buffer.from('blood pressure normal'));
        const stat = await client.statObject(bucket, 'notes/visit 1.txt');
        expect(stat.size).toBe('blood pressure normal'.length);

        await client.removeObject(bucket, 'notes/visit 1.txt');
        await expect(client.statObject(bucket, 'notes/visit 1.txt')).rejects.toMatchObject({ code: 'NotFound' });
      });

      it('serves presigned GETs with response header overrides', async () => {
        await client.putObject(bucket, 'letter.pdf', Buffer.from('%PDF-1.7'));
        const url = await client.presignedGetObject(bucket, 'letter.pdf', 60, {
          'response-content-disposition': 'attachment; filename="letter (1).pdf"',
        });

        const response = await fetch(url);

        expect(response.status).toBe(200);
        expect(response.headers.get('content-disposition')).toBe('attachment; filename="letter (1).pdf"');
      });

      it('stores through a presigned PUT only when no object is there yet, if If-None-Match: * is signed (412 after)', async () => {
        // The API's upload URLs sign If-None-Match: * (backend/src/storage/storage.service.ts presignPut).
        const signed = signedPutWithHeaders(store, 'segment.bin', { 'if-none-match': '*' });

        const first = await fetch(signed, { method: 'PUT', headers: { 'if-none-match': '*' }, body: 'first' });
        const second = await fetch(signed, { method: 'PUT', headers: { 'if-none-match': '*' }, body: 'other' });

        expect(first.status).toBe(200);
        await expectS3Error(second, 412, 'PreconditionFailed');
        expect((await client.statObject(bucket, 'segment.bin')).size).toBe('first'.length);
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
          await Promise.all(keys.slice(next, next + 50).map((key) => client.putObject(bucket, key, Buffer.from(key))));
        }

        expect(await collect(client.listObjectsV2(bucket, 'backup/', true))).toEqual(keys);
        expect(await collect(client.listObjectsV2(bucket, 'backup/', true, keys[9]))).toEqual(keys.slice(10));
        expect(await collect(client.listObjects(bucket, 'backup/', true))).toEqual(keys);
      }, 120_000);
    });

    describe('refusing what was not signed', () => {
      beforeEach(async () => {
        await client.putObject(bucket, 'private.txt', Buffer.from('diagnosis: confidential'));
      });

      it('refuses an unsigned GET', async () => {
        const response = await fetch(`${store.endpoint}/${bucket}/private.txt`);

        const body = await expectS3Error(response, 403, 'AccessDenied');
        expect(body).not.toContain('confidential');
      });

      it('refuses an unsigned PUT and leaves the object as it was', async () => {
        const response = await fetch(`${store.endpoint}/${bucket}/private.txt`, { method: 'PUT', body: 'overwritten' });

        await expectS3Error(response, 403, 'AccessDenied');
        const stat = await client.statObject(bucket, 'private.txt');
        expect(stat.size).toBe('diagnosis: confidential'.length);
      });

      it('refuses a presigned URL with one signature character changed', async () => {
        const url = await client.presignedGetObject(bucket, 'private.txt', 60);

        const response = await fetch(changeOneSignatureCharacter(url));

        await expectS3Error(response, 403, 'SignatureDoesNotMatch');
      });

      it('refuses a presigned URL whose path points at another object', async () => {
        await client.putObject(bucket, 'mine.txt', Buffer.from('my own record'));
        const url = new URL(await client.presignedGetObject(bucket, 'mine.txt', 60));
        url.pathname = `/${bucket}/private.txt`;

        const response = await fetch(url);

        const body = await expectS3Error(response, 403, 'SignatureDoesNotMatch');
        expect(body).not.toContain('confidential');
      });

      it('refuses a presigned URL with a query parameter added after signing', async () => {
        const url = new URL(await client.presignedGetObject(bucket, 'private.txt', 60));
        url.searchParams.set('response-content-type', 'text/html');

        await expectS3Error(await fetch(url), 403, 'SignatureDoesNotMatch');
      });

      it('refuses a presigned URL whose X-Amz-Expires was raised after signing', async () => {
        const url = new URL(await client.presignedGetObject(bucket, 'private.txt', 60));
        url.searchParams.set('X-Amz-Expires', '604800');

        await expectS3Error(await fetch(url), 403, 'SignatureDoesNotMatch');
      });

      it('refuses a presigned URL once it has expired', async () => {
        // Signed 10 s ago for 1 s: expired when it arrives, with no waiting.
        const url = await client.presignedUrl('GET', bucket, 'private.txt', 1, {}, new Date(Date.now() - 10_000));

        const body = await expectS3Error(await fetch(url), 403, 'AccessDenied');
        expect(body).not.toContain('confidential');
      });

      it('refuses a presigned GET URL used with method PUT', async () => {
        const url = await client.presignedGetObject(bucket, 'private.txt', 60);

        const response = await fetch(url, { method: 'PUT', body: 'overwritten' });

        await expectS3Error(response, 403, 'SignatureDoesNotMatch');
        const stat = await client.statObject(bucket, 'private.txt');
        expect(stat.size).toBe('diagnosis: confidential'.length);
      });

      it('refuses a presigned PUT of another length than the signed Content-Length', async () => {
        const url = signedPutWithHeaders(store, 'sized.bin', { 'content-length': '5' });

        const response = await fetch(url, { method: 'PUT', body: 'six!!!' });

        await expectS3Error(response, 403, 'SignatureDoesNotMatch');
        await expect(client.statObject(bucket, 'sized.bin')).rejects.toMatchObject({ code: 'NotFound' });
      });

      it('refuses a client signing with a wrong secret key', async () => {
        const impostor = clientFor(store, { accessKey: store.accessKey, secretKey: 'not-the-secret' });

        await expect(impostor.putObject(bucket, 'planted.txt', Buffer.from('x'))).rejects.toMatchObject({
          code: 'SignatureDoesNotMatch',
        });
        // HEAD answers carry no body: minio names the bare 403 AccessDenied.
        await expect(impostor.statObject(bucket, 'private.txt')).rejects.toMatchObject({ code: 'AccessDenied' });
        await expect(client.statObject(bucket, 'planted.txt')).rejects.toMatchObject({ code: 'NotFound' });
      });

      it('refuses a client signing with a wrong access key', async () => {
        const impostor = clientFor(store, { accessKey: 'someone-else', secretKey: store.secretKey });

        await expect(impostor.putObject(bucket, 'planted.txt', Buffer.from('x'))).rejects.toMatchObject({
          code: 'InvalidAccessKeyId',
        });
        await expect(impostor.statObject(bucket, 'private.txt')).rejects.toMatchObject({ code: 'AccessDenied' });
      });

      it('refuses a header-signed request sent to another path than the one signed', async () => {
        const response = await headerSignedFetch(store, {
          method: 'GET',
          signedPath: `/${bucket}/mine.txt`,
          sentPath: `/${bucket}/private.txt`,
        });

        await expectS3Error(response, 403, 'SignatureDoesNotMatch');
      });

      it('refuses a header-signed request dated more than 15 minutes ago', async () => {
        const response = await headerSignedFetch(store, {
          method: 'GET',
          signedPath: `/${bucket}/private.txt`,
          date: new Date(Date.now() - 16 * 60 * 1000),
        });

        await expectS3Error(response, 403, 'RequestTimeTooSkewed');
      });

      it('refuses a header-signed PUT whose body is not the one hashed in the signature', async () => {
        const response = await headerSignedFetch(store, {
          method: 'PUT',
          signedPath: `/${bucket}/private.txt`,
          signedBody: 'harmless',
          body: 'tampered',
        });

        await expectS3Error(response, 400, 'XAmzContentSHA256Mismatch');
        const stat = await client.statObject(bucket, 'private.txt');
        expect(stat.size).toBe('diagnosis: confidential'.length);
      });

      it('accepts the same header-signed PUT when the body matches its hash', async () => {
        const response = await headerSignedFetch(store, {
          method: 'PUT',
          signedPath: `/${bucket}/signed.txt`,
          body: 'matching body',
        });

        expect(response.status).toBe(200);
        expect((await client.statObject(bucket, 'signed.txt')).size).toBe('matching body'.length);
      });
    });

    describe('CORS for browsers', () => {
      const preflight = (origin: string): Promise<Response> =>
        fetch(`${store.endpoint}/${bucket}/upload.bin`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'PUT',
            'access-control-request-headers': 'content-type,if-none-match',
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
        const putUrl = await client.presignedPutObject(bucket, 'upload.bin', 60);
        const put = await fetch(putUrl, { method: 'PUT', headers: { origin: APP_ORIGIN }, body: 'ciphertext' });
        expect(put.status).toBe(200);
        expect(put.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
        expect(put.headers.get('access-control-expose-headers')).toContain('ETag');

        const getUrl = await client.presignedGetObject(bucket, 'upload.bin', 60);
        const get = await fetch(getUrl, { headers: { origin: APP_ORIGIN } });
        expect(get.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
        expect(await get.text()).toBe('ciphertext');
      });
    });
  });
}

/**
 * A presigned PUT that also signs `headers`, as the API's own presigner does (minio's leaves
 * them out): the client must then send exactly these headers.
 */
export function signedPutWithHeaders(store: StoreUnderTest, key: string, headers: Record<string, string>): string {
  const presigner = new SigV4Presigner(new URL(store.endpoint), store.bucket, { accessKey: store.accessKey, secretKey: store.secretKey, region: REGION });
  return presigner.presign({ method: 'PUT', objectKey: key, expiresSeconds: 60, headers, now: new Date() });
}
