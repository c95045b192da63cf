import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { isScriptFetch } from '../src/app.factory.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const API_ATTACHMENT = 'attachment; filename="api.json"';

describe('security headers on every answer of the API', () => {
  let api: TestApp;
  let tls: TestApp;
  beforeAll(async () => {
    api = await startTestApp();
    tls = await startTestApp({ COOKIE_SECURE: 'true' });
  });
  afterAll(async () => {
    await Promise.all([api?.close(), tls?.close()]);
  });

  const common = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
  const pick = (headers: Headers) => Object.fromEntries(Object.keys(common).map((name) => [name, headers.get(name)]));

  it.each([
    ['a JSON answer', ROUTES.health.path],
    ['an error answer', '/no-such-route'],
  ])('sends them on %s, with a CSP that allows nothing', async (_case, path) => {
    const response = await testClient(api.baseUrl).unchecked().request('GET', path);
    expect(pick(response.headers)).toEqual(common);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('gives Swagger UI its own files only: no inline code, no framing', async () => {
    const response = await fetch(`${api.baseUrl}/api/docs`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  describe('what every JSON answer says about itself', () => {
    let patient: RegisteredUser;
    beforeAll(async () => {
      patient = await registerUser(api);
    });

    /** A success, a created row, an error from a route and one from the router. */
    const answers = () => [
      testClient(api.baseUrl).send(ROUTES.health),
      patient.client.send(ROUTES.me, { token: patient.token }),
      patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(20) } }),
      patient.client.send(ROUTES.listRecords, { token: patient.token }),
      patient.client.send(ROUTES.me),
      patient.client.unchecked().send(ROUTES.createFolder, { token: patient.token, body: { name: 7 } }),
      testClient(api.baseUrl).unchecked().request('GET', '/no-such-route'),
      testClient(api.baseUrl).unchecked().request('GET', '/records/%E0%A4%A'),
    ];

    it('names no server software or version, in headers or in the health answer', async () => {
      for (const response of await Promise.all(answers())) {
        expect({ server: response.headers.get('server'), poweredBy: response.headers.get('x-powered-by') }).toEqual({ server: null, poweredBy: null });
      }
      const health = await testClient(api.baseUrl).send(ROUTES.health);
      expect(health.body).toEqual({ status: 'ok', database: 'up', objectStore: 'up' });
    });

    it('is application/json with a utf-8 charset, as an attachment named api.json', async () => {
      for (const response of await Promise.all(answers())) {
        expect({ status: response.status, type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition') }).toEqual({
          status: response.status,
          type: 'application/json; charset=utf-8',
          disposition: API_ATTACHMENT,
        });
      }
    });

    /** The Fetch Metadata a browser sends: a page load, a frame, a script's fetch() (Swagger UI's "Try it out"). */
    const navigation = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'none' };
    const frame = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe', 'sec-fetch-site': 'cross-site' };
    const scriptFetch = { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin' };

    it.each([
      ['a page load (navigate, document)', navigation],
      ['a frame (navigate, iframe)', frame],
      ['a request with no fetch metadata at all (curl, an old browser)', {}],
      ['an <object> or <embed> (no-cors, object)', { 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'object' }],
    ])('still makes every JSON answer an attachment for %s', async (_case, headers) => {
      for (const response of [
        await patient.client.send(ROUTES.me, { token: patient.token, headers }),
        await patient.client.unchecked().send(ROUTES.me, { headers }),
        await testClient(api.baseUrl).unchecked().request('GET', '/no-such-route', { headers }),
      ]) {
        expect({ status: response.status, disposition: response.headers.get('content-disposition') }).toEqual({ status: response.status, disposition: API_ATTACHMENT });
      }
    });

    it('reads the mode too: a navigation with an empty destination is no script fetch (Node’s fetch cannot send one)', () => {
      expect(isScriptFetch({ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'empty' })).toBe(false);
      expect(isScriptFetch({ 'sec-fetch-dest': 'empty' })).toBe(false);
      expect(isScriptFetch({ 'sec-fetch-mode': 'same-origin', 'sec-fetch-dest': 'empty' })).toBe(true);
    });

    it('lets a page’s script read JSON inline (Sec-Fetch-Dest: empty): Swagger UI shows the body instead of "Download file"', async () => {
      for (const response of [
        await patient.client.send(ROUTES.me, { token: patient.token, headers: scriptFetch }),
        await patient.client.unchecked().send(ROUTES.me, { headers: scriptFetch }),
        await testClient(api.baseUrl).unchecked().request('GET', '/no-such-route', { headers: scriptFetch }),
      ]) {
        expect({ type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition'), nosniff: response.headers.get('x-content-type-options') }).toEqual({
          type: 'application/json; charset=utf-8',
          disposition: null,
          nosniff: 'nosniff',
        });
      }
      // The audit export is a file whoever asks for it.
      const csv = await patient.client.send(ROUTES.exportAudit, { query: { format: 'csv' }, token: patient.token, headers: scriptFetch });
      expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    });

    it('keeps the audit export’s own file name, and Swagger UI a page', async () => {
      const csv = await patient.client.send(ROUTES.exportAudit, { query: { format: 'csv' }, token: patient.token });
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
      const json = await patient.client.send(ROUTES.exportAudit, { query: { format: 'json' }, token: patient.token });
      expect(json.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.json"$/);
      const docs = await fetch(`${api.baseUrl}/api/docs`);
      expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
      expect(docs.headers.get('content-disposition')).toBeNull();
    });
  });

  it('adds HSTS where the API is served over TLS', async () => {
    const response = await testClient(tls.baseUrl).send(ROUTES.health);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });
});
