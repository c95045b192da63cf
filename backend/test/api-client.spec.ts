/**
 * @phr/api-client against a real API: path parameters and queries are encoded by the client,
 * failures come back in the API's one error shape, and cookies are kept like a browser
 * (api-client/test/route-client.spec.ts holds the client's own compile-time checks).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, REFRESH_COOKIE_NAME, ROUTES, type AuditAction } from '@phr/shared-types';
import { browserLikeClient, createRouteClient, type BrowserLikeClient } from '@phr/api-client';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { TEST_PORTAL_ORIGIN } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('the route client', () => {
  let api: TestApp;
  let client: BrowserLikeClient;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    client = browserLikeClient(api.baseUrl, TEST_PORTAL_ORIGIN);
    user = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  describe('paths and queries', () => {
    it('keeps an id with a slash inside its segment: the API sees one malformed id (400), not another route', async () => {
      for (const id of ['a/b', '../health', 'x?y=1']) {
        const response = await client.send(ROUTES.getRecord, { params: { id }, token: user.token });
        expect({ id, status: response.status, field: response.error?.fields?.[0]?.field }).toEqual({ id, status: 400, field: 'id' });
      }
    });

    it('sends a query value with & and = as one value', async () => {
      // Split, it would be a known action and a `limit`; whole, it is one unknown action.
      const response = await client.send(ROUTES.listAudit, { query: { action: 'record.read&limit=1' as AuditAction }, token: user.token });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((field) => field.field)).toEqual(['action']);
    });
  });

  describe('answers', () => {
    it('gives a 2xx answer its typed body and no error', async () => {
      const me = await client.send(ROUTES.me, { token: user.token });
      expect(me.status).toBe(200);
      expect(me.error).toBeNull();
      expect(me.body.id).toBe(user.userId);
      // @ts-expect-error: a field the answer's type does not have
      expect(me.body.passwordHash).toBeUndefined();
    });

    it('gives a refusal the API’s one error shape', async () => {
      const response = await createRouteClient({ baseUrl: api.baseUrl }).send(ROUTES.me);
      expect(response.status).toBe(401);
      expect(response.error).toEqual({ statusCode: 401, code: ERROR_CODES.unauthenticated, message: expect.any(String), requestId: expect.any(String) });
    });

    it('gives a validation failure its fields', async () => {
      // @ts-expect-error: a body field the route does not take
      const response = await client.send(ROUTES.prelogin, { body: { emial: user.request.email } });
      expect(response.status).toBe(400);
      expect(response.error?.code).toBe(ERROR_CODES.validation);
      expect(response.error?.fields?.map((problem) => problem.field)).toEqual(expect.arrayContaining(['emial']));
    });

    it('refuses a call without its path parameter before sending it', async () => {
      // @ts-expect-error: getRecord needs params.id
      await expect(client.send(ROUTES.getRecord, { token: user.token })).rejects.toThrow('no value for path parameter "id"');
    });

    it('takes a query only of the route’s query type', async () => {
      // @ts-expect-error: limit is a number
      const typed = await client.send(ROUTES.listRecords, { query: { limit: 'ten' }, token: user.token });
      expect(typed.status).toBe(400);
      // The unchecked client says so instead, and sends the same.
      const unchecked = await client.unchecked().send(ROUTES.listRecords, { query: { limit: 'ten' }, token: user.token });
      expect(unchecked.status).toBe(400);
      expect(unchecked.error?.fields?.[0]?.field).toBe('limit');
    });

    it('sends a raw body through the unchecked client only', async () => {
      const response = await client.unchecked().send(ROUTES.prelogin, { rawBody: '{"email": ' });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([expect.objectContaining({ field: 'body' })]);
    });
  });

  describe('the browser-like client', () => {
    it('keeps the refresh cookie and sends the page’s Origin, so a refresh works as in the portal', async () => {
      const browser = browserLikeClient(api.baseUrl, TEST_PORTAL_ORIGIN);
      const login = await browser.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(login.status).toBe(200);
      expect(browser.cookies.has(REFRESH_COOKIE_NAME)).toBe(true);
      const refreshed = await browser.send(ROUTES.refresh);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.accessToken).toEqual(expect.any(String));
      const withoutOrigin = browserLikeClient(api.baseUrl, null);
      for (const [name, value] of browser.cookies) withoutOrigin.cookies.set(name, value);
      expect((await withoutOrigin.send(ROUTES.refresh)).status).toBe(403);
    });
  });
});
