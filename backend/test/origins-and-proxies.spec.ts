import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { randomKey, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PORTAL_ORIGIN = 'https://portal.example';

describe('which origins and which proxies the API believes', () => {
  let api: TestApp;
  let behindProxy: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ PORTAL_ORIGIN });
    behindProxy = await startTestApp({ PORTAL_ORIGIN, TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await Promise.all([api?.close(), behindProxy?.close()]);
  });

  /** ASVS 14.5.3: one exact origin may read answers with credentials; no other, and never `null`. */
  describe('CORS', () => {
    const preflight = (origin: string) =>
      fetch(`${api.baseUrl}${API_PREFIX}${ROUTES.login.path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const simpleGet = (origin: string) => fetch(`${api.baseUrl}${API_PREFIX}${ROUTES.health.path}`, { headers: { origin } });

    it('lets the portal origin send credentials, in a preflight and in a simple request', async () => {
      const allowed = await preflight(PORTAL_ORIGIN);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL_ORIGIN);
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      const simple = await simpleGet(PORTAL_ORIGIN);
      expect(simple.headers.get('access-control-allow-origin')).toBe(PORTAL_ORIGIN);
      expect(simple.headers.get('vary')).toMatch(/origin/i);
    });

    it.each([
      ['another site', 'https://evil.example'],
      ['the portal host on another scheme', PORTAL_ORIGIN.replace('https:', 'http:')],
      ['a subdomain of the portal', 'https://sub.portal.example'],
      ['a look-alike suffix', `${PORTAL_ORIGIN}.evil.example`],
      ['the null origin (sandboxed frames, file: pages)', 'null'],
    ])('gives %s no Access-Control-Allow-Origin, in a preflight or a simple request', async (_case, origin) => {
      // Without Allow-Origin the browser hides the answer (a lone Allow-Credentials changes nothing).
      for (const response of [await preflight(origin), await simpleGet(origin)]) {
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });

  /** ASVS 14.5.4: X-Forwarded-For is a claim of whoever sent it, unless a proxy we run put it there. */
  describe('X-Forwarded-For', () => {
    /** A failed sign-in (audited in the account's trail), sent with a forged client address. */
    async function auditedIpOf(app: TestApp, user: RegisteredUser): Promise<string | null> {
      const response = await testClient(app.baseUrl).send(ROUTES.login, {
        body: { email: user.request.email, authKey: randomKey() },
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(response.status).toBe(401);
      const rows = await app.adminQuery<{ ip: string | null }>('SELECT ip FROM audit_events WHERE request_id = $1', [response.headers.get('x-request-id')]);
      expect(rows).toHaveLength(1);
      return rows[0].ip;
    }

    it('is ignored by default: the audit row holds the socket’s address', async () => {
      const user = await registerUser(api);
      expect(api.config.trustProxy).toBe(false);
      expect(await auditedIpOf(api, user)).toBe('127.0.0.1');
    });

    it('is honoured with TRUST_PROXY=true, where the API sits behind the proxy it trusts', async () => {
      const user = await registerUser(behindProxy);
      expect(await auditedIpOf(behindProxy, user)).toBe('203.0.113.7');
    });
  });
});
