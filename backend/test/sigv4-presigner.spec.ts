/**
 * The API's own SigV4 presigner (storage/sigv4-presigner.ts) against two
 * independent implementations: the minio client's presigner (for what both
 * can sign) and the embedded store's verifier (for the signed headers minio
 * leaves out), including URI encoding of keys and an endpoint with a port.
 */
import { describe, expect, it } from '@jest/globals';
import * as Minio from 'minio';
import { verifySignedRequest } from '@phr/infra/local/object-store/sigv4.js';
import { SigV4Presigner } from '../src/storage/sigv4-presigner.js';

const credentials = { accessKey: 'AKIDEXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'eu-central-1' };
const endpoint = new URL('http://store.example.test:9000');
const now = new Date('2026-12-03T10:11:12.345Z');

describe('pre-signed URLs (AWS Signature V4, query-string form)', () => {
  const presigner = new SigV4Presigner(endpoint, 'phr-records', credentials);

  it.each(['records/4f1c2a6e-8d7b-4c3e-9f00-1a2b3c4d5e6f/0', 'notes/visit 1 (copy)+draft.txt', 'ünïcødé/ключ'])('signs a GET for %s exactly as the minio client does', async (key) => {
    const minio = new Minio.Client({ endPoint: endpoint.hostname, port: 9000, useSSL: false, ...credentials, pathStyle: true });
    const theirs = new URL(await minio.presignedUrl('GET', 'phr-records', key, 60, {}, now));
    const ours = new URL(presigner.presign({ method: 'GET', objectKey: key, expiresSeconds: 60, now }));
    expect(ours.pathname).toBe(theirs.pathname);
    expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(theirs.searchParams));
  });

  it('signs each URL for its own time, lifetime and method when several are made in a row', async () => {
    const minio = new Minio.Client({ endPoint: endpoint.hostname, port: 9000, useSSL: false, ...credentials, pathStyle: true });
    const key = 'records/4f1c2a6e-8d7b-4c3e-9f00-1a2b3c4d5e6f/1';
    const later = new Date(now.getTime() + 1000);
    const nextDay = new Date(now.getTime() + 86_400_000);
    for (const [seconds, at] of [[60, now], [120, now], [120, later], [60, nextDay], [60, now]] as const) {
      const theirs = new URL(await minio.presignedUrl('GET', 'phr-records', key, seconds, {}, at));
      const ours = new URL(presigner.presign({ method: 'GET', objectKey: key, expiresSeconds: seconds, now: at }));
      expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(theirs.searchParams));
    }
    const put = new URL(presigner.presign({ method: 'PUT', objectKey: key, expiresSeconds: 60, now }));
    const get = new URL(presigner.presign({ method: 'GET', objectKey: key, expiresSeconds: 60, now }));
    expect(put.searchParams.get('X-Amz-Signature')).not.toBe(get.searchParams.get('X-Amz-Signature'));
  });

  it('signs Content-Length and If-None-Match into a PUT, which the store’s verifier accepts only as signed', () => {
    const url = new URL(presigner.presign({ method: 'PUT', objectKey: 'records/a/0', expiresSeconds: 900, headers: { 'If-None-Match': '*', 'Content-Length': '5032' }, now }));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;if-none-match');
    const request = (headers: Record<string, string>) => ({
      method: 'PUT',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(Object.entries({ host: endpoint.host, ...headers }).map(([name, value]) => [name, [value]])),
    });
    const at = new Date(now.getTime() + 1000);
    expect(() => verifySignedRequest(request({ 'content-length': '5032', 'if-none-match': '*' }), credentials, at)).not.toThrow();
    expect(() => verifySignedRequest(request({ 'content-length': '5031', 'if-none-match': '*' }), credentials, at)).toThrow();
    expect(() => verifySignedRequest(request({ 'content-length': '5032' }), credentials, at)).toThrow();
  });
});
