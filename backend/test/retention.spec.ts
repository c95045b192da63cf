import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES, type RegisterInvitedRequest } from '@phr/shared-types';
import { createStaffInvitation } from '../src/cli/invitations.js';
import { RateLimiter } from '../src/rate-limit/rate-limiter.service.js';
import { randomKey, registration, registerUser, sealedBlob, uniqueEmail, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { challengeFor } from './support/proof-of-work.js';
import { ageRefreshUse } from './support/tokens.js';
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

describe('retention: the sweep deletes ended sessions, stale sign-in and request-rate counters, forgotten devices, spent challenges and invitations (ASVS 8.3.8)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ SWEEP_INTERVAL_SECONDS: '1', ENDED_SESSION_RETENTION_SECONDS: String(RETENTION_SECONDS), LOGIN_FREE_FAILURES: '3', TRUST_PROXY: 'true' });
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
    expect((await loggedOutLongAgo.client.send(ROUTES.logout)).status).toBe(204);
    await ageTokens(loggedOutLongAgo, 'revoked_at', RETENTION_SECONDS + 3600);
    const expiredLongAgo = await registerUser(api);
    await ageTokens(expiredLongAgo, 'expires_at', RETENTION_SECONDS + 3600);

    const loggedOutRecently = await registerUser(api);
    await loggedOutRecently.client.send(ROUTES.logout);
    await ageTokens(loggedOutRecently, 'revoked_at', RETENTION_SECONDS - 3600);
    const expiredRecently = await registerUser(api);
    await ageTokens(expiredRecently, 'expires_at', RETENTION_SECONDS - 3600);
    // A rotated token that has not expired stays: presenting it again is how reuse is caught.
    const active = await registerUser(api);
    const stolen = testClient(api.baseUrl);
    for (const [name, value] of active.client.cookies) stolen.cookies.set(name, value);
    expect((await active.client.send(ROUTES.refresh)).status).toBe(200);

    await eventually(async () => (await tokensOf(loggedOutLongAgo)).length === 0 && (await tokensOf(expiredLongAgo)).length === 0, 'old tokens are swept');
    expect(await tokensOf(loggedOutRecently)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(await tokensOf(expiredRecently)).toHaveLength(1);
    expect((await tokensOf(active)).map((token) => token.used).sort()).toEqual([false, true]);

    await ageRefreshUse(api, active.userId);
    const replay = await stolen.send(ROUTES.refresh);
    expect(replay.status).toBe(401);
    expect(replay.error?.code).toBe('REFRESH_TOKEN_REUSED');
    expect((await tokensOf(active)).every((token) => token.revoked)).toBe(true);
  });

  it('deletes sign-in failure counters once they no longer count, and keeps recent ones and running waits', async () => {
    const user = await registerUser(api);
    const keys = async () => (await api.adminQuery<{ key: string }>('SELECT key FROM login_throttle ORDER BY key')).map((row) => row.key);
    const before = new Set(await keys());
    const added = async () => (await keys()).filter((key) => !before.has(key));
    const fail = (ip: string) => testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: randomKey() }, headers: { 'x-forwarded-for': ip } });
    await fail('198.51.100.1');
    const [accountKey, firstClientKey] = [...(await added())].sort((a, b) => (a.includes(':acct:') ? -1 : b.includes(':acct:') ? 1 : 0));
    expect(accountKey).toMatch(/^login:acct:/);
    expect(firstClientKey).toMatch(/^login:client:/);
    // Three wrong current passwords in this session start a wait for it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await user.client.send(ROUTES.changePassword, {
        token: user.token,
        body: { currentAuthKey: randomKey(), newAuthKey: randomKey(), newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
      });
      expect(refused.status).toBe(403);
    }
    const waitKey = (await added()).find((key) => key.startsWith('reauth:session:'));
    expect(waitKey).toBeDefined();
    // The first client's counter is a day and an hour old; the session's too, but its wait runs for another hour.
    await api.adminQuery(`UPDATE login_throttle SET updated_at = now() - interval '25 hours' WHERE key = $1`, [firstClientKey]);
    await api.adminQuery(`UPDATE login_throttle SET updated_at = now() - interval '25 hours', locked_until = now() + interval '1 hour' WHERE key = $1`, [waitKey]);
    await fail('198.51.100.2');
    const recentClientKey = (await added()).find((key) => ![accountKey, firstClientKey, waitKey].includes(key));

    await eventually(async () => !(await keys()).includes(firstClientKey), 'the stale counter is swept');
    expect(await added()).toEqual([accountKey, recentClientKey, waitKey].sort());
    const held = await user.client.send(ROUTES.changePassword, {
      token: user.token,
      body: { currentAuthKey: user.request.authKey, newAuthKey: randomKey(), newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
    });
    expect(held.status).toBe(429);
  });

  it('deletes known devices not seen for KNOWN_DEVICE_SECONDS, and spent proof-of-work challenges once they have expired', async () => {
    const [gone, staying] = [await registerUser(api), await registerUser(api)];
    const devicesOf = async (user: RegisteredUser) => (await api.adminQuery('SELECT 1 FROM known_devices WHERE user_id = $1', [user.userId])).length;
    expect([await devicesOf(gone), await devicesOf(staying)]).toEqual([1, 1]);
    await api.adminQuery(`UPDATE known_devices SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [gone.userId]);

    // A proof that was sent is spent (here with no work due, so any nonce holds).
    const spend = async (user: RegisteredUser) => {
      const http = testClient(api.baseUrl);
      const { challenge } = await challengeFor(http, user.request.email, 'login');
      expect((await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey, proofOfWork: { challenge, nonce: '0' } } })).status).toBe(200);
    };
    const spent = async () => (await api.adminQuery<{ id: string }>(`SELECT encode(challenge_id, 'hex') AS id FROM proof_of_work_spent`)).map((row) => row.id);
    const before = new Set(await spent());
    await spend(staying);
    const [old] = (await spent()).filter((id) => !before.has(id));
    await api.adminQuery(`UPDATE proof_of_work_spent SET expires_at = now() - interval '1 second' WHERE challenge_id = decode($1, 'hex')`, [old]);
    await spend(staying);
    const [recent] = (await spent()).filter((id) => !before.has(id) && id !== old);
    // Each of those sign-ins came from a new browser: three known devices now.
    expect(await devicesOf(staying)).toBe(3);

    await eventually(async () => (await devicesOf(gone)) === 0, 'the expired device is swept');
    await eventually(async () => !(await spent()).includes(old), 'the expired challenge is swept');
    expect(await devicesOf(staying)).toBe(3);
    expect(await spent()).toContain(recent);
  });

  it('deletes request-rate counters whose window ended, and keeps the current ones', async () => {
    await api.adminQuery('DELETE FROM rate_limits');
    const user = await registerUser(api);
    await user.client.send(ROUTES.me, { token: user.token });
    const counters = async () => (await api.adminQuery<{ key: string }>('SELECT key FROM rate_limits ORDER BY key')).map((row) => row.key);
    // Counted in memory, synced in batches (rate-limiter.service.ts): sync every hit so far, so that no
    // batch still under way restarts the window set back below (a sync adding hits to an ended window
    // starts it again, as it should for hits counted after the window ended).
    await api.app.get(RateLimiter).sync();
    const [stale, ...current] = await counters();
    expect(stale).toBeDefined();
    await api.adminQuery(`UPDATE rate_limits SET window_started_at = now() - interval '2 days' WHERE key = $1`, [stale]);

    await eventually(async () => !(await counters()).includes(stale), 'the ended window is swept');
    expect(await counters()).toEqual(expect.arrayContaining(current));
  });

  it('deletes auditor invitations used or expired longer ago than the grace period, and keeps one still to be redeemed', async () => {
    const invite = async () => {
      const email = uniqueEmail('auditor');
      return { email, code: (await createStaffInvitation(api.database.ownerUrl, 'auditor', email, 'Security team')).code };
    };
    const redeem = (invitation: { email: string; code: string }) => {
      const { registrationToken: _token, role: _role, displayName: _name, specialty: _specialty, ...keys } = registration({ email: invitation.email });
      const body: RegisterInvitedRequest = { ...keys, invitation: invitation.code };
      return testClient(api.baseUrl).send(ROUTES.registerInvited, { body });
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
