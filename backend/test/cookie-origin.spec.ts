import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REFRESH_COOKIE_NAME, ROUTES } from '@phr/shared-types';
import { auditTrailOf } from './support/audit.js';
import { randomKey, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient, TEST_PORTAL_ORIGIN } from './support/http.js';
import { CapturingLogger } from './support/logs.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The same person's browser, on another page: it holds their refresh cookie and sends `origin`. */
function sameCookiesFrom(user: RegisteredUser, baseUrl: string, origin: string | null): TestClient {
  const client = testClient(baseUrl, origin);
  for (const [name, value] of user.client.cookies) client.cookies.set(name, value);
  return client;
}

describe('the cookie routes answer the portal only: an Origin check against CSRF (ASVS 13.2.3)', () => {
  const logger = new CapturingLogger();
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({}, logger);
  });
  afterAll(async () => {
    await api?.close();
  });

  const changePasswordBody = (user: RegisteredUser) => ({
    currentAuthKey: user.request.authKey,
    newAuthKey: randomKey(),
    newKdf: user.request.kdf,
    newWrappedAccountKey: sealedBlob(),
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['the API’s own origin', 'http://127.0.0.1'],
    ['an opaque origin', 'null'],
    ['a look-alike of the portal’s origin', `${TEST_PORTAL_ORIGIN}.evil.example`],
  ])('refuses refresh, logout and password change from %s with 403, logs it, and changes nothing', async (_, origin) => {
    const user = await registerUser(api);
    const attacker = sameCookiesFrom(user, api.baseUrl, origin);
    const responses = [
      await attacker.send(ROUTES.refresh),
      await attacker.send(ROUTES.logout),
      await attacker.send(ROUTES.changePassword, { token: user.token, body: changePasswordBody(user) }),
    ];
    for (const response of responses) {
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: 'FORBIDDEN', message: 'Cross-origin request refused: cookie routes answer the portal only' });
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(logger.refusalsOf(response.error?.requestId ?? null)).toEqual([
        expect.objectContaining({ method: 'POST', status: 403, reason: 'Cross-origin request refused: cookie routes answer the portal only' }),
      ]);
    }
    // Nothing happened: the session still refreshes from the portal, the password is the old one.
    expect(await auditTrailOf(api, user.userId)).toEqual(['account.register:allow']);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
    const login = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    expect(login.status).toBe(200);
  });

  it('refuses a request without Origin (403), unless the browser itself says it is same-origin', async () => {
    const user = await registerUser(api);
    const noOrigin = sameCookiesFrom(user, api.baseUrl, null);
    const refused = await noOrigin.send(ROUTES.refresh);
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toBe('Origin header required: cookie routes answer the portal only');
    expect((await noOrigin.send(ROUTES.refresh, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await noOrigin.send(ROUTES.logout, { headers: { 'sec-fetch-site': 'same-site' } })).status).toBe(403);

    const sameOrigin = await noOrigin.send(ROUTES.refresh, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.body.accessToken).toEqual(expect.any(String));
  });

  it('serves refresh, password change and logout from the portal’s origin', async () => {
    const user = await registerUser(api);
    const refreshed = await user.client.send(ROUTES.refresh, { headers: { origin: TEST_PORTAL_ORIGIN } });
    expect(refreshed.status).toBe(200);
    const changed = await user.client.send(ROUTES.changePassword, { token: refreshed.body.accessToken, body: changePasswordBody(user), headers: { origin: TEST_PORTAL_ORIGIN } });
    expect(changed.status).toBe(204);
    const loggedOut = await user.client.send(ROUTES.logout, { headers: { origin: TEST_PORTAL_ORIGIN } });
    expect(loggedOut.status).toBe(204);
    expect(user.client.cookies.has(REFRESH_COOKIE_NAME)).toBe(false);
    expect(await auditTrailOf(api, user.userId)).toEqual(['account.register:allow', 'session.refresh:allow', 'account.password-change:allow', 'session.logout:allow']);
  });
});
