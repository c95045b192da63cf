/**
 * The object store as browsers reach it in docker-compose.yml: the real infra/docker/Caddyfile
 * (Debian's caddy) in front of Ceph's RADOS Gateway, with URLs signed by the API's own
 * presigner for the public host, as the API signs them.
 *
 * The gateway acts on x-amz-* request headers that a pre-signed URL did not sign: an upload
 * URL with `x-amz-copy-source` added copies another object into the URL's key, and with
 * `x-amz-acl: public-read` makes the object readable by anyone (shown below against the
 * gateway itself). Browsers send no x-amz-* header, so Caddy removes them all before the
 * gateway sees the request.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';

import { prepareBucket, removeBucket } from '../../../backend/src/storage/bucket-setup.js';
import { SigV4Presigner } from '../../../backend/src/storage/sigv4-presigner.js';
import { freePort } from '../../local/ports.js';
import { startChild, stopChild, type Child } from '../../local/processes.js';
import { REGION } from '../support/s3-contract.js';
import { rgwFromEnvironment } from './rgw-support.js';

const CADDYFILE = path.resolve(import.meta.dirname, '../../docker/Caddyfile');
const SITE = 'localhost';
const PRIVATE_TEXT = 'diagnosis: confidential';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('the object store behind Caddy (infra/docker/Caddyfile), as browsers reach it in Compose', () => {
  const rgw = rgwFromEnvironment();
  const admin = new Client({ endPoint: rgw.endpoint.hostname, port: Number(rgw.endpoint.port), useSSL: false, accessKey: rgw.accessKey, secretKey: rgw.secretKey, region: REGION, pathStyle: true });
  const bucket = `public-${Date.now().toString(36)}`;
  let workDir: string;
  let caddy: Child;
  let rootCa: string;
  let portalOrigin: string;
  let publicEndpoint: URL;
  /** Signs for the public host, as the API does with S3_PUBLIC_ENDPOINT. */
  let publicSigner: SigV4Presigner;
  /** Signs for the gateway itself. */
  let directSigner: SigV4Presigner;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'phr-caddy-rgw-'));
    const [httpPort, portalPort, s3Port] = [await freePort(), await freePort(), await freePort()];
    portalOrigin = `https://${SITE}:${portalPort}`;
    publicEndpoint = new URL(`https://${SITE}:${s3Port}`);
    await prepareBucket(admin, { bucket, region: REGION, corsOrigins: [portalOrigin] });
    await admin.putObject(bucket, 'records/other-patient/0', Buffer.from(PRIVATE_TEXT));
    const credentials = { accessKey: rgw.accessKey, secretKey: rgw.secretKey, region: REGION };
    publicSigner = new SigV4Presigner(publicEndpoint, bucket, credentials);
    directSigner = new SigV4Presigner(rgw.endpoint, bucket, credentials);

    const caddyHome = path.join(workDir, 'caddy');
    const portalRoot = path.join(workDir, 'portal');
    await mkdir(portalRoot);
    const lines: string[] = [];
    caddy = startChild('caddy', 'caddy', ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
      cwd: workDir,
      log: (line) => lines.push(line),
      env: {
        PATH: process.env.PATH,
        HOME: caddyHome,
        XDG_DATA_HOME: path.join(caddyHome, 'data'),
        XDG_CONFIG_HOME: path.join(caddyHome, 'config'),
        PHR_SITE: SITE,
        PHR_HTTP_PORT: String(httpPort),
        PHR_PORTAL_PORT: String(portalPort),
        PHR_S3_PORT: String(s3Port),
        // No API here: only the object-store site is under test.
        PHR_API_UPSTREAM: `127.0.0.1:${await freePort()}`,
        PHR_S3_UPSTREAM: rgw.endpoint.host,
        PHR_PORTAL_ROOT: portalRoot,
      },
    });
    rootCa = await caddyServing(caddy, path.join(caddyHome, 'data/caddy/pki/authorities/local/root.crt'), publicEndpoint, lines);
  }, 120_000);

  afterAll(async () => {
    if (caddy) await stopChild(caddy);
    await removeBucket(admin, bucket);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** An upload URL as the API makes it: Content-Length and If-None-Match: * signed. */
  function uploadUrl(signer: SigV4Presigner, key: string, length: number): string {
    return signer.presign({ method: 'PUT', objectKey: key, expiresSeconds: 300, headers: { 'If-None-Match': '*', 'Content-Length': String(length) }, now: new Date() });
  }

  function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const onResponse = (response: http.IncomingMessage) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.once('error', reject);
      };
      const settings = { method: options.method ?? 'GET', headers: options.headers };
      const request = target.protocol === 'https:' ? https.request(target, { ...settings, ca: rootCa }, onResponse) : http.request(target, settings, onResponse);
      request.once('error', reject);
      request.end(options.body);
    });
  }

  async function stored(key: string): Promise<string | null> {
    try {
      const stream = await admin.getObject(bucket, key);
      let text = '';
      for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
      return text;
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchKey') return null;
      throw error;
    }
  }

  it('carries an upload and a download signed for the public host (Host passed through), with CORS for the portal only', async () => {
    const body = 'ciphertext of segment 0';
    const put = await send(uploadUrl(publicSigner, 'records/mine/0', body.length), { method: 'PUT', headers: { 'if-none-match': '*', origin: portalOrigin }, body });
    expect(put.status).toBe(200);
    expect(put.headers['access-control-allow-origin']).toBe(portalOrigin);

    const again = await send(uploadUrl(publicSigner, 'records/mine/0', body.length), { method: 'PUT', headers: { 'if-none-match': '*' }, body: 'x'.repeat(body.length) });
    expect(again.status).toBe(412);

    const get = await send(publicSigner.presign({ method: 'GET', objectKey: 'records/mine/0', expiresSeconds: 60, now: new Date() }), { headers: { origin: portalOrigin } });
    expect({ status: get.status, body: get.body, allowOrigin: get.headers['access-control-allow-origin'] }).toEqual({ status: 200, body, allowOrigin: portalOrigin });
    // Whatever type an uploader claimed, nothing from the store's origin may run as a page.
    expect(get.headers['content-security-policy']).toBe("default-src 'none'; sandbox");

    const preflight = (origin: string) =>
      send(`${publicEndpoint.origin}/${bucket}/records/mine/1`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'if-none-match' } });
    expect((await preflight(portalOrigin)).headers['access-control-allow-origin']).toBe(portalOrigin);
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the gateway itself copies another object into an upload URL’s key when x-amz-copy-source is added, and makes it public with x-amz-acl (why Caddy strips them)', async () => {
    const put = await send(uploadUrl(directSigner, 'records/direct/0', PRIVATE_TEXT.length), {
      method: 'PUT',
      headers: { 'if-none-match': '*', 'x-amz-copy-source': `/${bucket}/records/other-patient/0`, 'x-amz-acl': 'public-read' },
      body: 'A'.repeat(PRIVATE_TEXT.length),
    });

    expect(put.status).toBe(200);
    expect(await stored('records/direct/0')).toBe(PRIVATE_TEXT);
    expect((await send(`${rgw.endpoint.origin}/${bucket}/records/direct/0`)).status).toBe(200);
  });

  it('through Caddy, an upload URL with x-amz-copy-source and x-amz-acl added stores the body it was sent, privately', async () => {
    const body = 'B'.repeat(PRIVATE_TEXT.length);
    const put = await send(uploadUrl(publicSigner, 'records/proxied/0', body.length), {
      method: 'PUT',
      headers: { 'if-none-match': '*', 'x-amz-copy-source': `/${bucket}/records/other-patient/0`, 'x-amz-acl': 'public-read' },
      body,
    });

    expect(put.status).toBe(200);
    expect(await stored('records/proxied/0')).toBe(body);
    expect((await send(`${publicEndpoint.origin}/${bucket}/records/proxied/0`)).status).toBe(403);
    expect((await send(`${rgw.endpoint.origin}/${bucket}/records/proxied/0`)).status).toBe(403);
  });
});

/** Waits until Caddy has made its root CA and answers TLS on the store's site (conditions, polled), or fails naming why. */
async function caddyServing(caddy: Child, rootCaPath: string, site: URL, lines: string[]): Promise<string> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  void caddy.exited.then(() => (exited = true));
  while (!exited && Date.now() < deadline) {
    if (existsSync(rootCaPath)) {
      const ca = await readFile(rootCaPath, 'utf8');
      const answered = await new Promise<boolean>((resolve) => {
        const request = https.request(site, { method: 'HEAD', ca }, (response) => {
          response.resume();
          resolve(true);
        });
        request.once('error', () => resolve(false));
        request.end();
      });
      if (answered) return ca;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopChild(caddy);
  throw new Error(`Caddy did not serve ${site.origin}${exited ? ' (it exited)' : ''}:\n${lines.join('\n')}`);
}
