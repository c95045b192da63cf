import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES, type ErrorResponse, type RegisterAuditorRequest } from '@phr/shared-types';
import { createAuditorInvitation } from '../src/cli/create-auditor.js';
import { randomKey, registration, registerUser, uniqueEmail, type RegisteredUser } from './support/factories.js';
import { HttpClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DAY_SECONDS = 24 * 3600;
const RETENTION_SECONDS = 7 * DAY_SECONDS;

/** Polls until `check` holds; the sweep timer runs every second in this file. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('retention: the sweep deletes ended sessions, stale sign-in and request-rate counters and spent invitations (ASVS 8.3.8)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ SWEEP_INTERVAL_SECONDS: '1', ENDED_SESSION_RETENTION_SECONDS: String(RETENTION_SECONDS), LOGIN_MAX_FAILURES: '3', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const tokensOf = (user: RegisteredUser) =>
    api.adminQuery<{ id: string; used: boolean; revoked: boolean }>('SELECT id, used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE user_id = $1', [user.userId]);
  const ageTokens = (user: RegisteredUser, column: 'expires_at' | 'revoked_at', seconds: number) =>
    api.adminQuery(`UPDATE refresh_tokens SET ${column} = now() - make_interval(secs => $2) WHERE user_id = $1 AND ${column} IS NOT NULL`, [user.userId, seconds]);

  it('deletes refresh tokens expired or revoked longer ago than the grace period, and keeps the rest working', async () => {
    const loggedOutLongAgo = await registerUser(api);
    expect((await loggedOutLongAgo.client.post(ROUTES.logout.path)).status).toBe(204);
    await ageTokens(loggedOutLongAgo, 'revoked_at', RETENTION_SECONDS + 3600);
    const expiredLongAgo = await registerUser(api);
    await ageTokens(expiredLongAgo, 'expires_at', RETENTION_SECONDS + 3600);

    const loggedOutRecently = await registerUser(api);
    await loggedOutRecently.client.post(ROUTES.logout.path);
    await ageTokens(loggedOutRecently, 'revoked_at', RETENTION_SECONDS - 3600);
    const expiredRecently = await registerUser(api);
    await ageTokens(expiredRecently, 'expires_at', RETENTION_SECONDS - 3600);
    // A rotated token that has not expired stays: presenting it again is how reuse is caught.
    const active = await registerUser(api);
    const stolen = new HttpClient(api.baseUrl);
    for (const [name, value] of active.client.cookies) stolen.cookies.set(name, value);
    expect((await active.client.post(ROUTES.refresh.path)).status).toBe(200);

    await eventually(async () => (await tokensOf(loggedOutLongAgo)).length === 0 && (await tokensOf(expiredLongAgo)).length === 0, 'old tokens are swept');
    expect(await tokensOf(loggedOutRecently)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(await tokensOf(expiredRecently)).toHaveLength(1);
    expect((await tokensOf(active)).map((token) => token.used).sort()).toEqual([false, true]);

    const replay = await stolen.post<ErrorResponse>(ROUTES.refresh.path);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
    expect((await tokensOf(active)).every((token) => token.revoked)).toBe(true);
  });

  it('deletes sign-in failure counters once they no longer count, and keeps recent ones and running lockouts', async () => {
    const user = await registerUser(api);
    const fail = (ip: string) => new HttpClient(api.baseUrl).post(ROUTES.login.path, { body: { email: user.request.email, authKey: randomKey() }, headers: { 'x-forwarded-for': ip } });
    await fail('198.51.100.1');
    const keys = async () => (await api.adminQuery<{ key: string }>('SELECT key FROM login_throttle ORDER BY key')).map((row) => row.key);
    const [accountKey, ipKey] = [...(await keys())].sort((a, b) => (a.includes(':acct:') ? -1 : b.includes(':acct:') ? 1 : 0));
    expect(accountKey).toMatch(/^login:acct:/);
    expect(ipKey).toMatch(/^login:ip:/);
    // The IP's counter is a day and an hour old; the account's is locked for another hour, though as old.
    await api.adminQuery(`UPDATE login_throttle SET updated_at = now() - interval '25 hours' WHERE key = $1`, [ipKey]);
    await api.adminQuery(`UPDATE login_throttle SET updated_at = now() - interval '25 hours', locked_until = now() + interval '1 hour' WHERE key = $1`, [accountKey]);
    await fail('198.51.100.2');
    const recentIpKey = (await keys()).find((key) => key !== accountKey && key !== ipKey);

    await eventually(async () => !(await keys()).includes(ipKey), 'the stale counter is swept');
    expect(await keys()).toEqual([accountKey, recentIpKey].sort());
    const locked = await new HttpClient(api.baseUrl).post(ROUTES.login.path, { body: { email: user.request.email, authKey: user.request.authKey } });
    expect(locked.status).toBe(429);
  });

  it('deletes request-rate counters whose window ended, and keeps the current ones', async () => {
    await api.adminQuery('DELETE FROM rate_limits');
    const user = await registerUser(api);
    await user.client.get(ROUTES.me.path, { token: user.token });
    const counters = async () => (await api.adminQuery<{ key: string }>('SELECT key FROM rate_limits ORDER BY key')).map((row) => row.key);
    const [stale, ...current] = await counters();
    expect(stale).toBeDefined();
    await api.adminQuery(`UPDATE rate_limits SET window_started_at = now() - interval '2 days' WHERE key = $1`, [stale]);

    await eventually(async () => !(await counters()).includes(stale), 'the ended window is swept');
    expect(await counters()).toEqual(expect.arrayContaining(current));
  });

  it('deletes auditor invitations used or expired longer ago than the grace period, and keeps one still to be redeemed', async () => {
    const invite = async () => {
      const email = uniqueEmail('auditor');
      return { email, code: (await createAuditorInvitation(api.database.ownerUrl, email, 'Security team')).code };
    };
    const redeem = (invitation: { email: string; code: string }) => {
      const { registrationToken: _token, role: _role, displayName: _name, specialty: _specialty, ...keys } = registration({ email: invitation.email });
      const body: RegisterAuditorRequest = { ...keys, invitation: invitation.code };
      return new HttpClient(api.baseUrl).post(ROUTES.registerAuditor.path, { body });
    };
    const usedLongAgo = await invite();
    expect((await redeem(usedLongAgo)).status).toBe(201);
    const expiredLongAgo = await invite();
    const usedRecently = await invite();
    expect((await redeem(usedRecently)).status).toBe(201);
    const open = await invite();
    const age = (email: string, column: string, seconds: number) =>
      api.adminQuery(`UPDATE auditor_invitations SET ${column} = now() - make_interval(secs => $2) WHERE email = $1`, [email, seconds]);
    await age(usedLongAgo.email, 'used_at', RETENTION_SECONDS + 3600);
    await age(expiredLongAgo.email, 'expires_at', RETENTION_SECONDS + 3600);
    const emails = async () => (await api.adminQuery<{ email: string }>('SELECT email FROM auditor_invitations ORDER BY email')).map((row) => row.email);

    await eventually(async () => (await emails()).length === 2, 'spent invitations are swept');
    expect(await emails()).toEqual([usedRecently.email, open.email].sort());
    expect((await redeem(open)).status).toBe(201);
  });
});
