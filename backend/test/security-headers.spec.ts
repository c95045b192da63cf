import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { HttpClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

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
    const response = await new HttpClient(api.baseUrl).get(path);
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

  it('adds HSTS where the API is served over TLS', async () => {
    const response = await new HttpClient(tls.baseUrl).get(ROUTES.health.path);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });
});
