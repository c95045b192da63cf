import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEVICE_COOKIE_NAME, HOST_DEVICE_COOKIE_NAME, HOST_REFRESH_COOKIE_NAME, REFRESH_COOKIE_NAME, ROUTES } from '@phr/shared-types';
import { registerUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The attributes of one Set-Cookie header, names lower-cased (`secure: ''` for a flag). */
function attributesOf(setCookie: string): { name: string; attributes: Record<string, string> } {
  const [pair, ...rest] = setCookie.split(';').map((part) => part.trim());
  const attributes = Object.fromEntries(rest.map((part) => [part.split('=')[0].toLowerCase(), part.split('=').slice(1).join('=')]));
  return { name: pair.slice(0, pair.indexOf('=')), attributes };
}

/** The one refresh cookie an answer sets (a sign-in also sets the device cookie). */
function refreshCookieOf(headers: Headers) {
  const cookies = headers.getSetCookie().map(attributesOf).filter((cookie) => [HOST_REFRESH_COOKIE_NAME, REFRESH_COOKIE_NAME].includes(cookie.name));
  expect(cookies).toHaveLength(1);
  return cookies[0];
}

function deviceCookieOf(headers: Headers) {
  return headers.getSetCookie().map(attributesOf).find((cookie) => [HOST_DEVICE_COOKIE_NAME, DEVICE_COOKIE_NAME].includes(cookie.name));
}

/** ASVS 3.4.1 and 3.4.4: the refresh token's cookie as a browser receives it. */
describe('the refresh cookie', () => {
  let secure: TestApp;
  let insecure: TestApp;
  beforeAll(async () => {
    secure = await startTestApp({ COOKIE_SECURE: 'true' });
    insecure = await startTestApp({ COOKIE_SECURE: 'false' });
  });
  afterAll(async () => {
    await Promise.all([secure?.close(), insecure?.close()]);
  });

  it('is __Host-phr_refresh with Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain where COOKIE_SECURE is on', async () => {
    const user = await registerUser(secure);
    const login = await testClient(secure.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    expect(login.status).toBe(200);
    for (const cookie of [refreshCookieOf(login.headers), refreshCookieOf((await user.client.send(ROUTES.refresh)).headers)]) {
      expect(cookie.name).toBe(HOST_REFRESH_COOKIE_NAME);
      expect(cookie.attributes).toMatchObject({ secure: '', httponly: '', samesite: 'Strict', path: '/' });
      expect(cookie.attributes).not.toHaveProperty('domain');
    }
  });

  it('clears the __Host- cookie at the path it was set, and reads no unprefixed cookie where COOKIE_SECURE is on', async () => {
    const user = await registerUser(secure);
    const token = user.client.cookies.get(HOST_REFRESH_COOKIE_NAME) as string;
    // A cookie planted without the prefix (from a sibling subdomain, say) is not the session.
    const planted = testClient(secure.baseUrl);
    planted.cookies.set(REFRESH_COOKIE_NAME, token);
    expect((await planted.send(ROUTES.refresh)).status).toBe(401);

    const logout = await user.client.send(ROUTES.logout);
    expect(logout.status).toBe(204);
    const cleared = refreshCookieOf(logout.headers);
    expect(cleared.name).toBe(HOST_REFRESH_COOKIE_NAME);
    expect(cleared.attributes).toMatchObject({ secure: '', httponly: '', samesite: 'Strict', path: '/' });
    expect(cleared.attributes.expires).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('sets the device cookie of a sign-in as __Host-phr_device, Secure, HttpOnly, SameSite=Strict, Path=/, for months; a sign-out leaves it', async () => {
    const user = await registerUser(secure);
    const browser = testClient(secure.baseUrl);
    const login = await browser.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    const device = deviceCookieOf(login.headers);
    expect(device?.name).toBe(HOST_DEVICE_COOKIE_NAME);
    expect(device?.attributes).toMatchObject({ secure: '', httponly: '', samesite: 'Strict', path: '/' });
    expect(device?.attributes).not.toHaveProperty('domain');
    expect(new Date(device?.attributes.expires ?? 0).getTime()).toBeGreaterThan(Date.now() + 150 * 24 * 3600 * 1000);
    // The same browser keeps its token at the next sign-in, and a sign-out does not clear it: the device stays known.
    const again = await browser.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    expect(deviceCookieOf(again.headers)?.name).toBe(HOST_DEVICE_COOKIE_NAME);
    expect(browser.cookies.get(HOST_DEVICE_COOKIE_NAME)).toBe(login.headers.getSetCookie().find((c) => c.startsWith(HOST_DEVICE_COOKIE_NAME))?.split(';')[0].split('=')[1]);
    expect(deviceCookieOf((await browser.send(ROUTES.logout)).headers)).toBeUndefined();
    expect(browser.cookies.has(HOST_DEVICE_COOKIE_NAME)).toBe(true);
  });

  it('keeps phr_refresh scoped to /api/auth, without Secure, where COOKIE_SECURE=false (plain-http development)', async () => {
    const user = await registerUser(insecure);
    const login = await testClient(insecure.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    const cookie = refreshCookieOf(login.headers);
    expect(cookie.name).toBe(REFRESH_COOKIE_NAME);
    expect(cookie.attributes).toMatchObject({ httponly: '', samesite: 'Strict', path: '/api/auth' });
    expect(cookie.attributes).not.toHaveProperty('secure');
    expect(deviceCookieOf(login.headers)).toMatchObject({ name: DEVICE_COOKIE_NAME, attributes: { httponly: '', samesite: 'Strict', path: '/api/auth' } });
    expect(deviceCookieOf(login.headers)?.attributes).not.toHaveProperty('secure');
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
  });
});
