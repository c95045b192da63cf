import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REFRESH_COOKIE_NAME, ROUTES } from '@phr/shared-types';
import { REFRESH_REUSE_GRACE_SECONDS } from '../src/auth/sessions/session.service.js';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { randomKey, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { ageRefreshUse, sessionIdOf } from './support/tokens.js';

/**
 * docs/protocol.md "Lock, reload and new tabs": one browser keeps one session across reloads,
 * tabs, locks and new sign-ins, and two tabs refreshing at once both stay signed in.
 */
describe('one session per browser: refresh races, unlocking, replacement', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  /** A second tab of the same browser: the same cookie jar, as it is now. */
  function tabOf(client: TestClient): TestClient {
    const tab = testClient(api.baseUrl);
    for (const [name, value] of client.cookies) tab.cookies.set(name, value);
    return tab;
  }

  async function liveFamilies(user: RegisteredUser): Promise<string[]> {
    const rows = await api.adminQuery<{ family_id: string }>('SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.userId]);
    return rows.map((row) => row.family_id);
  }

  /** The browser's session as the sessions list shows it to its own access token. */
  async function listedSessions(user: RegisteredUser, accessToken: string) {
    const response = await testClient(api.baseUrl).send(ROUTES.listSessions, { token: accessToken });
    expect(response.status).toBe(200);
    return response.body.items;
  }

  describe('two tabs refreshing at once', () => {
    it('keeps both signed in: the second refresh of one token, moments later, gets a token of its own in the same family', async () => {
      const user = await registerUser(api);
      const first = tabOf(user.client);
      const second = tabOf(user.client);
      const [a, b] = await Promise.all([first.send(ROUTES.refresh), second.send(ROUTES.refresh)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(first.cookies.get(REFRESH_COOKIE_NAME)).not.toBe(second.cookies.get(REFRESH_COOKIE_NAME));
      expect(sessionIdOf(a.body.accessToken)).toBe(sessionIdOf(user.token));
      expect(sessionIdOf(b.body.accessToken)).toBe(sessionIdOf(user.token));
      // Each tab goes on refreshing with what it was given, and the list still shows one session.
      expect((await first.send(ROUTES.refresh)).status).toBe(200);
      expect((await second.send(ROUTES.refresh)).status).toBe(200);
      expect(await listedSessions(user, a.body.accessToken)).toHaveLength(1);
      const trail = await auditTrailOf(api, user.userId);
      expect(trail).not.toContain('session.refresh-reuse:deny');
      const reasons = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.refresh').map((row) => row.reason);
      expect(reasons).toContain('a refresh of the same token moments ago (another tab)');
    });

    it(`still ends the family when a rotated token comes back after ${REFRESH_REUSE_GRACE_SECONDS} s`, async () => {
      const user = await registerUser(api);
      const stolen = tabOf(user.client);
      expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
      await ageRefreshUse(api, user.userId);
      const replay = await stolen.send(ROUTES.refresh);
      expect(replay.status).toBe(401);
      expect(replay.error?.code).toBe('REFRESH_TOKEN_REUSED');
      expect((await user.client.send(ROUTES.refresh)).status).toBe(401);
      expect(await liveFamilies(user)).toEqual([]);
      expect(await auditTrailOf(api, user.userId)).toContain('session.refresh-reuse:deny');
    });

    it('accepts a rotated token just inside the window', async () => {
      const user = await registerUser(api);
      const late = tabOf(user.client);
      expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
      await ageRefreshUse(api, user.userId, REFRESH_REUSE_GRACE_SECONDS - 5);
      expect((await late.send(ROUTES.refresh)).status).toBe(200);
      expect(await liveFamilies(user)).toHaveLength(1);
    });

    it('gives nothing for a rotated token of a family that has ended, even inside the window', async () => {
      const user = await registerUser(api);
      const other = tabOf(user.client);
      expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
      expect((await user.client.send(ROUTES.logout)).status).toBe(204);
      const refused = await other.send(ROUTES.refresh);
      expect(refused.status).toBe(401);
      expect(await liveFamilies(user)).toEqual([]);
    });
  });

  describe('a new sign-in in a browser that holds a session', () => {
    it('ends the session it replaces: sign-ins after reloads leave one session', async () => {
      const user = await registerUser(api);
      const login = { body: { email: user.request.email, authKey: user.request.authKey } };
      let token = user.token;
      for (let reload = 0; reload < 3; reload++) {
        const again = await user.client.send(ROUTES.login, login);
        expect(again.status).toBe(200);
        token = (again.body as { accessToken: string }).accessToken;
      }
      expect(await liveFamilies(user)).toEqual([sessionIdOf(token)]);
      expect(await listedSessions(user, token)).toEqual([expect.objectContaining({ id: sessionIdOf(token), isCurrent: true })]);
      expect((await auditTrailOf(api, user.userId)).filter((entry) => entry === 'session.replace:allow')).toHaveLength(3);
      // The old session's access token stops with it.
      expect((await testClient(api.baseUrl).send(ROUTES.me, { token: user.token })).status).toBe(401);
    });

    it('ends another account’s session held by the same browser, in that account’s trail', async () => {
      const previous = await registerUser(api);
      const next = await registerUser(api);
      const signIn = await previous.client.send(ROUTES.login, { body: { email: next.request.email, authKey: next.request.authKey } });
      expect(signIn.status).toBe(200);
      expect(await liveFamilies(previous)).toEqual([]);
      expect(await auditTrailOf(api, previous.userId)).toContain('session.replace:allow');
      expect(await liveFamilies(next)).toHaveLength(2);
    });

    it('leaves other browsers’ sessions alone', async () => {
      const user = await registerUser(api);
      const laptop = testClient(api.baseUrl);
      expect((await laptop.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } })).status).toBe(200);
      expect((await user.client.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } })).status).toBe(200);
      expect(await liveFamilies(user)).toHaveLength(2);
    });

    it('ends nothing for a wrong password', async () => {
      const user = await registerUser(api);
      const wrong = await user.client.send(ROUTES.login, { body: { email: user.request.email, authKey: randomKey() } });
      expect(wrong.status).toBe(401);
      expect(await liveFamilies(user)).toEqual([sessionIdOf(user.token)]);
    });
  });

  describe('POST /auth/unlock', () => {
    const unlockBody = (user: RegisteredUser, authKey = user.request.authKey) => ({ body: { email: user.request.email, authKey } });

    it('continues the browser’s session with the password: the same family, a rotated token, the account’s keys', async () => {
      const user = await registerUser(api);
      const before = user.client.cookies.get(REFRESH_COOKIE_NAME);
      const unlocked = await user.client.send(ROUTES.unlock, unlockBody(user));
      expect(unlocked.status).toBe(200);
      expect(user.client.cookies.get(REFRESH_COOKIE_NAME)).not.toBe(before);
      expect(sessionIdOf(unlocked.body.accessToken)).toBe(sessionIdOf(user.token));
      expect(unlocked.body.keys).toEqual(user.session.keys);
      expect(unlocked.body.user).toEqual(user.session.user);
      expect(await liveFamilies(user)).toEqual([sessionIdOf(user.token)]);
      expect(await auditTrailOf(api, user.userId)).toEqual(['account.register:allow', 'session.refresh:allow', 'session.unlock:allow']);
    });

    it('refuses a wrong password as a failed sign-in, and keeps the session locked but alive', async () => {
      const user = await registerUser(api);
      const before = user.client.cookies.get(REFRESH_COOKIE_NAME);
      const refused = await user.client.send(ROUTES.unlock, unlockBody(user, randomKey()));
      expect(refused.status).toBe(401);
      expect(refused.error?.code).toBe('INVALID_CREDENTIALS');
      expect(refused.text).not.toContain('wrappedAccountKey');
      expect(user.client.cookies.get(REFRESH_COOKIE_NAME)).toBe(before);
      expect(await auditTrailOf(api, user.userId)).toContain('session.unlock:deny');
      expect((await user.client.send(ROUTES.unlock, unlockBody(user))).status).toBe(200);
    });

    it('refuses without a refresh cookie, and with a made-up one', async () => {
      const user = await registerUser(api);
      const noCookie = await testClient(api.baseUrl).send(ROUTES.unlock, unlockBody(user));
      expect(noCookie.status).toBe(401);
      expect(noCookie.text).not.toContain('wrappedAccountKey');
      const forged = testClient(api.baseUrl);
      forged.cookies.set(REFRESH_COOKIE_NAME, randomKey());
      expect((await forged.send(ROUTES.unlock, unlockBody(user))).status).toBe(401);
    });

    it('refuses a browser whose session belongs to another account, and leaves that session as it was', async () => {
      const holder = await registerUser(api);
      const other = await registerUser(api);
      const before = holder.client.cookies.get(REFRESH_COOKIE_NAME);
      const refused = await holder.client.send(ROUTES.unlock, unlockBody(other));
      expect(refused.status).toBe(401);
      expect(holder.client.cookies.get(REFRESH_COOKIE_NAME)).toBe(before);
      expect((await holder.client.send(ROUTES.refresh)).status).toBe(200);
      expect(await liveFamilies(other)).toHaveLength(1);
    });

    it('refuses a session that has ended (signed out elsewhere)', async () => {
      const user = await registerUser(api);
      const tab = tabOf(user.client);
      expect((await user.client.send(ROUTES.logout)).status).toBe(204);
      expect((await tab.send(ROUTES.unlock, unlockBody(user))).status).toBe(401);
    });

    it('answers only the portal’s origin', async () => {
      const user = await registerUser(api);
      const elsewhere = testClient(api.baseUrl, 'https://evil.example');
      for (const [name, value] of user.client.cookies) elsewhere.cookies.set(name, value);
      expect((await elsewhere.send(ROUTES.unlock, unlockBody(user))).status).toBe(403);
    });

    it.each([
      ['no auth key', (user: RegisteredUser) => ({ email: user.request.email }), 'authKey'],
      ['a malformed email', (user: RegisteredUser) => ({ email: 'not-an-email', authKey: user.request.authKey }), 'email'],
      ['an unknown field', (user: RegisteredUser) => ({ email: user.request.email, authKey: user.request.authKey, sessionId: 'x' }), 'sessionId'],
    ])('names the field in a 400 for %s', async (_case, bodyOf, field) => {
      const user = await registerUser(api);
      const response = await user.client.send(ROUTES.unlock, { body: bodyOf(user) as never });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((f) => f.field)).toContain(field);
    });
  });
});
