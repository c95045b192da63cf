import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { REFRESH_COOKIE_NAME, ROUTES } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { insertAuditor, registerUser, signedIn, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { TOKEN_CLOCK_SKEW_SECONDS } from '../src/identity/access-token-claims.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, sessionIdOf, sessionTokenFor } from './support/tokens.js';

const IDLE_SECONDS = 600;
const MAX_SECONDS = 3600;

/** A second browser of the same person: its own cookie jar, signed in with the password. */
async function signInElsewhere(api: TestApp, user: RegisteredUser, userAgent: string): Promise<{ client: TestClient; token: string }> {
  const client = testClient(api.baseUrl);
  const response = await client.send(ROUTES.login, {
    body: { email: user.request.email, authKey: user.request.authKey },
    headers: { 'user-agent': userAgent },
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
  return { client, token: signedIn(response.body).accessToken };
}


describe('sessions: listing and ending them (ASVS 3.3.4)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ SESSION_IDLE_SECONDS: String(IDLE_SECONDS), SESSION_MAX_SECONDS: String(MAX_SECONDS) });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('lists the caller’s signed-in browsers with when, where and which is current, and no token values', async () => {
    const user = await registerUser(api);
    const laptop = await signInElsewhere(api, user, 'Laptop-Browser/1.0');
    const response = await user.client.send(ROUTES.listSessions, { token: user.token });
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(2);
    const [newest, oldest] = response.body.items;
    expect(newest).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      userAgent: 'Laptop-Browser/1.0',
      ip: '127.0.0.1',
      isCurrent: false,
    });
    expect(oldest).toMatchObject({ isCurrent: true, ip: '127.0.0.1', userAgent: expect.any(String) });
    const families = await api.adminQuery<{ family_id: string }>('SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = $1', [user.userId]);
    expect(families.map((row) => row.family_id).sort()).toEqual([newest.id, oldest.id].sort());
    for (const cookie of [user.client.cookies.get(REFRESH_COOKIE_NAME), laptop.client.cookies.get(REFRESH_COOKIE_NAME)]) {
      expect(response.text).not.toContain(cookie);
    }
    expect(response.text).not.toMatch(/token/i);
    expect(await auditTrailOf(api, user.userId)).toContain('session.list:allow');
  });

  it('shows the latest refresh as last used, and the sign-in as created', async () => {
    const user = await registerUser(api);
    const [before] = (await user.client.send(ROUTES.listSessions, { token: user.token })).body.items;
    await api.adminQuery(`UPDATE refresh_tokens SET created_at = created_at - interval '5 minutes', family_started_at = family_started_at - interval '5 minutes' WHERE user_id = $1`, [user.userId]);
    const refreshed = await user.client.send(ROUTES.refresh);
    expect(refreshed.status).toBe(200);
    const [after] = (await user.client.send(ROUTES.listSessions, { token: refreshed.body.accessToken })).body.items;
    expect(after.id).toBe(before.id);
    expect(after.isCurrent).toBe(true);
    expect(Date.parse(before.createdAt) - Date.parse(after.createdAt)).toBeGreaterThanOrEqual(299_000);
    expect(Date.parse(after.lastUsedAt) - Date.parse(after.createdAt)).toBeGreaterThanOrEqual(299_000);
  });

  it('ends another browser’s session: its refresh cookie gets 401, its access token too, and the current one goes on', async () => {
    const user = await registerUser(api);
    const phone = await signInElsewhere(api, user, 'Phone-Browser/2.0');
    const listed = await user.client.send(ROUTES.listSessions, { token: user.token });
    const phoneSession = listed.body.items.find((session) => !session.isCurrent);
    if (!phoneSession) throw new Error('the phone session is not listed');

    const revoke = await user.client.send(ROUTES.revokeSession, { params: { id: phoneSession.id }, token: user.token });
    expect(revoke.status).toBe(204);

    expect((await phone.client.send(ROUTES.refresh)).status).toBe(401);
    const phoneMe = await phone.client.send(ROUTES.me, { token: phone.token });
    expect(phoneMe.status).toBe(401);
    expect(phoneMe.error?.code).toBe('UNAUTHENTICATED');
    expect((await user.client.send(ROUTES.me, { token: user.token })).status).toBe(200);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
    const remaining = await user.client.send(ROUTES.listSessions, { token: user.token });
    expect(remaining.body.items.map((session) => session.id)).not.toContain(phoneSession.id);

    const rows = await auditRowsOf(api, user.userId);
    expect(rows.filter((row) => row.action === 'session.revoke').map((row) => [row.outcome, row.reason])).toEqual([['allow', 'another session']]);
  });

  it('ends the current session too, when asked: the next refresh is refused', async () => {
    const user = await registerUser(api);
    const [current] = (await user.client.send(ROUTES.listSessions, { token: user.token })).body.items;
    expect((await user.client.send(ROUTES.revokeSession, { params: { id: current.id }, token: user.token })).status).toBe(204);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(401);
    expect((await user.client.send(ROUTES.me, { token: user.token })).status).toBe(401);
  });

  it('answers another user’s session id with the 404 of an unknown id, and leaves that session alone', async () => {
    const owner = await registerUser(api);
    const stranger = await registerUser(api);
    const [ownerSession] = (await owner.client.send(ROUTES.listSessions, { token: owner.token })).body.items;
    const named = await stranger.client.send(ROUTES.revokeSession, { params: { id: ownerSession.id }, token: stranger.token });
    const unknown = await stranger.client.send(ROUTES.revokeSession, { params: { id: randomUUID() }, token: stranger.token });
    expect(named.status).toBe(404);
    expect({ ...named.error, requestId: '' }).toEqual({ ...unknown.error, requestId: '' });
    expect((await owner.client.send(ROUTES.refresh)).status).toBe(200);
    const strangerList = await stranger.client.send(ROUTES.listSessions, { token: stranger.token });
    expect(strangerList.body.items.map((session) => session.id)).not.toContain(ownerSession.id);
    const denials = (await auditRowsOf(api, stranger.userId)).filter((row) => row.action === 'session.revoke');
    expect(denials.map((row) => row.outcome)).toEqual(['deny', 'deny']);
  });

  it('answers an ended session with 404', async () => {
    const user = await registerUser(api);
    const [session] = (await user.client.send(ROUTES.listSessions, { token: user.token })).body.items;
    const other = await signInElsewhere(api, user, 'Other/1');
    expect((await other.client.send(ROUTES.revokeSession, { params: { id: session.id }, token: other.token })).status).toBe(204);
    expect((await other.client.send(ROUTES.revokeSession, { params: { id: session.id }, token: other.token })).status).toBe(404);
  });

  it('refuses a malformed id with 400 naming it', async () => {
    const user = await registerUser(api);
    const response = await user.client.send(ROUTES.revokeSession, { params: { id: 'not-a-uuid' }, token: user.token });
    expect(response.status).toBe(400);
    expect(response.error?.fields).toEqual([{ field: 'id', message: expect.any(String) }]);
  });

  it('refuses callers without a token', async () => {
    const anonymous = testClient(api.baseUrl);
    expect((await anonymous.send(ROUTES.listSessions)).status).toBe(401);
    expect((await anonymous.send(ROUTES.revokeSession, { params: { id: randomUUID() } })).status).toBe(401);
  });

  it('serves every role: an auditor sees their own list', async () => {
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const response = await testClient(api.baseUrl).send(ROUTES.listSessions, { token });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([expect.objectContaining({ isCurrent: true })]);
  });

  it('ends the other browsers’ access tokens, not only their refresh tokens, when the password changes', async () => {
    const user = await registerUser(api);
    const elsewhere = await signInElsewhere(api, user, 'Elsewhere/1');
    const change = await user.client.send(ROUTES.changePassword, {
      token: user.token,
      body: { currentAuthKey: user.request.authKey, newAuthKey: user.request.authKey, newKdf: user.request.kdf, newWrappedAccountKey: user.request.keys.wrappedAccountKey },
    });
    expect(change.status).toBe(204);
    expect((await elsewhere.client.send(ROUTES.me, { token: elsewhere.token })).status).toBe(401);
    expect((await user.client.send(ROUTES.me, { token: user.token })).status).toBe(200);
  });
});

describe('session limits on the server (ASVS 3.3.2)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ SESSION_IDLE_SECONDS: String(IDLE_SECONDS), SESSION_MAX_SECONDS: String(MAX_SECONDS) });
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Moves the user's session back in time, as if `idle` seconds passed since the last refresh and `age` since sign-in. */
  const age = (user: RegisteredUser, sinceRefresh: number, sinceSignIn: number) =>
    api.adminQuery(
      `UPDATE refresh_tokens SET created_at = now() - make_interval(secs => $2), family_started_at = now() - make_interval(secs => $3) WHERE user_id = $1`,
      [user.userId, sinceRefresh, sinceSignIn],
    );

  it('refreshes a session used within the idle limit, again and again, up to the absolute limit', async () => {
    const user = await registerUser(api);
    await age(user, IDLE_SECONDS - 60, MAX_SECONDS - 120);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
  });

  it('refuses a refresh after the idle limit, ends the session and audits why', async () => {
    const user = await registerUser(api);
    await age(user, IDLE_SECONDS + 1, IDLE_SECONDS + 1);
    const response = await user.client.send(ROUTES.refresh);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/timed out/) });
    expect(await api.adminQuery('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.userId])).toHaveLength(0);
    const timeouts = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.timeout');
    expect(timeouts.map((row) => [row.outcome, row.reason])).toEqual([['deny', `no refresh for more than ${IDLE_SECONDS} s`]]);
    expect((await user.client.send(ROUTES.me, { token: user.token })).status).toBe(401);
  });

  it('refuses a refresh after the absolute limit even of a session refreshed a moment ago, and audits why', async () => {
    const user = await registerUser(api);
    await age(user, 5, MAX_SECONDS + 1);
    const response = await user.client.send(ROUTES.refresh);
    expect(response.status).toBe(401);
    const timeouts = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.timeout');
    expect(timeouts.map((row) => [row.outcome, row.reason])).toEqual([['deny', `signed in more than ${MAX_SECONDS} s ago`]]);
  });

  it('keeps the sign-in time across rotations, so refreshing does not extend the absolute limit', async () => {
    const user = await registerUser(api);
    await age(user, 0, MAX_SECONDS - 30);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
    const [latest] = await api.adminQuery<{ started: Date; expires: Date }>(
      'SELECT family_started_at AS started, expires_at AS expires FROM refresh_tokens WHERE user_id = $1 AND used_at IS NULL',
      [user.userId],
    );
    expect(Date.now() - latest.started.getTime()).toBeGreaterThanOrEqual((MAX_SECONDS - 30) * 1000);
    // The new token (and its cookie) expire with the family, not a full refresh lifetime later.
    expect(latest.expires.getTime() - latest.started.getTime()).toBeLessThanOrEqual(MAX_SECONDS * 1000 + 1000);
    await age(user, 0, MAX_SECONDS + 1);
    expect((await user.client.send(ROUTES.refresh)).status).toBe(401);
  });

  it('does not list a timed-out session as active', async () => {
    const user = await registerUser(api);
    const other = await signInElsewhere(api, user, 'Idle/1');
    await api.adminQuery(
      `UPDATE refresh_tokens SET created_at = now() - make_interval(secs => $2) WHERE user_id = $1 AND token_hash = sha256(convert_to($3, 'UTF8'))`,
      [user.userId, IDLE_SECONDS + 1, other.client.cookies.get(REFRESH_COOKIE_NAME)],
    );
    const listed = await user.client.send(ROUTES.listSessions, { token: user.token });
    expect(listed.body.items.map((session) => session.isCurrent)).toEqual([true]);
  });
});

describe('access token claims: the JWT guard and the rate-limit guard apply the same rules (DESIGN 8)', () => {
  let api: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    user = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Signed with the API's real secret, naming the user's live session: only the flaw named is wrong. */
  const signed = (options: Parameters<typeof forgeToken>[1] = {}) =>
    forgeToken(TEST_JWT_SECRET, { userId: user.userId, role: 'patient', sessionId: sessionIdOf(user.token), ...options });
  const me = (token: string) => user.client.send(ROUTES.me, { token });

  it('accepts a token made like the API makes one, and one issued a little ahead of this clock', async () => {
    expect((await me(signed())).status).toBe(200);
    expect((await me(signed({ issuedInSeconds: TOKEN_CLOCK_SKEW_SECONDS - 2 }))).status).toBe(200);
  });

  it.each([
    ['without exp', { expiresInSeconds: null }],
    ['without sid', { sessionId: null }],
    ['without iat', { issuedInSeconds: null }],
    ['issued in the future, beyond the clock skew', { issuedInSeconds: TOKEN_CLOCK_SKEW_SECONDS + 30 }],
    ['living longer than 15 minutes', { expiresInSeconds: 3600 }],
  ] as const)('refuses a validly signed token %s with 401', async (_case, flaw) => {
    const response = await me(signed(flaw));
    expect(response.status).toBe(401);
    expect(response.error?.code).toBe('UNAUTHENTICATED');
  });
});
