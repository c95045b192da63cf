import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUDIT_SYSTEM_SUBJECT, ROUTES, type ErrorResponse } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { randomKey, registerUser, uniqueEmail, type RegisteredUser } from './support/factories.js';
import { HttpClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Every test gets its own client IP (the API trusts X-Forwarded-For here, as behind the TLS proxy). */
let nextIp = 10;
const freshIp = () => `198.51.100.${nextIp++}`;

describe('failed sign-ins are limited per account and per IP, with a lockout that grows', () => {
  let api: TestApp;
  let http: HttpClient;

  beforeAll(async () => {
    api = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_IP_FACTOR: '2', LOGIN_LOCKOUT_SECONDS: '30', TRUST_PROXY: 'true' });
    http = new HttpClient(api.baseUrl);
  });
  afterAll(async () => {
    await api?.close();
  });

  const login = (user: RegisteredUser | { email: string }, authKey: string, ip: string) =>
    http.post<ErrorResponse>(ROUTES.login.path, {
      body: { email: 'request' in user ? user.request.email : user.email, authKey },
      headers: { 'x-forwarded-for': ip },
    });

  it('locks an account after 3 failures: even the right key then gets 429 with Retry-After, and all of it is audited', async () => {
    const user = await registerUser(api);
    const ip = freshIp();
    for (let attempt = 0; attempt < 3; attempt++) expect((await login(user, randomKey(), ip)).status).toBe(401);

    const locked = await login(user, user.request.authKey, freshIp());
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('TOO_MANY_REQUESTS');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(25);
    expect(retryAfter).toBeLessThanOrEqual(30);

    expect(await auditTrailOf(api, user.userId)).toEqual([
      'account.register:allow',
      'session.login:deny',
      'session.login:deny',
      'session.login:deny',
      'session.lockout:deny',
      'session.login:deny',
    ]);
    const rows = await auditRowsOf(api, user.userId);
    expect(rows[1]).toMatchObject({ reason: 'wrong credentials', ip, actor_id: null });
    expect(rows[4].reason).toBe('locked for 30 s');
    expect(rows[5].reason).toBe('locked out after repeated failures');
  });

  it('doubles the lockout with every failure after it ends, and lets the right key in once it is over', async () => {
    const user = await registerUser(api);
    const ip = freshIp();
    for (let attempt = 0; attempt < 3; attempt++) await login(user, randomKey(), ip);
    const endLockouts = () => api.adminQuery(`UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE locked_until IS NOT NULL`);

    await endLockouts();
    expect((await login(user, randomKey(), ip)).status).toBe(401);
    const second = await login(user, user.request.authKey, ip);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(55);

    await endLockouts();
    expect((await login(user, randomKey(), ip)).status).toBe(401);
    const third = await login(user, user.request.authKey, ip);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(115);

    await endLockouts();
    expect((await login(user, user.request.authKey, freshIp())).status).toBe(200);
    // Success clears the account's counter: one more failure does not lock it again.
    expect((await login(user, randomKey(), freshIp())).status).toBe(401);
    expect((await login(user, user.request.authKey, freshIp())).status).toBe(200);
  });

  it('limits one IP that tries many accounts, without locking those accounts for everyone else', async () => {
    const ip = freshIp();
    const victims = await Promise.all([registerUser(api), registerUser(api), registerUser(api)]);
    // 6 failures (3 x factor 2) spread over accounts, never 3 on one account.
    for (const victim of victims) {
      await login(victim, randomKey(), ip);
      await login(victim, randomKey(), ip);
    }
    const fromSameIp = await login(victims[0], victims[0].request.authKey, ip);
    expect(fromSameIp.status).toBe(429);
    expect((await login(victims[0], victims[0].request.authKey, freshIp())).status).toBe(200);
  });

  it('counts and audits attempts on unknown emails in the system trail', async () => {
    const ip = freshIp();
    const email = uniqueEmail('ghost');
    const before = (await auditRowsOf(api, AUDIT_SYSTEM_SUBJECT)).length;
    for (let attempt = 0; attempt < 3; attempt++) expect((await login({ email }, randomKey(), ip)).status).toBe(401);
    expect((await login({ email }, randomKey(), freshIp())).status).toBe(429);
    const rows = (await auditRowsOf(api, AUDIT_SYSTEM_SUBJECT)).slice(before);
    expect(rows.map((row) => `${row.action}:${row.outcome}:${row.reason}`)).toEqual([
      'session.login:deny:unknown account',
      'session.login:deny:unknown account',
      'session.login:deny:unknown account',
      'session.lockout:deny:locked for 30 s',
      'session.login:deny:locked out after repeated failures',
    ]);
  });

  it('limits guesses of the recovery code the same way', async () => {
    const user = await registerUser(api);
    const ip = freshIp();
    const guess = () =>
      http.post(ROUTES.recoveryKeys.path, { body: { email: user.request.email, recoveryAuthKey: randomKey() }, headers: { 'x-forwarded-for': ip } });
    for (let attempt = 0; attempt < 3; attempt++) expect((await guess()).status).toBe(401);
    const locked = await http.post(ROUTES.recoveryKeys.path, {
      body: { email: user.request.email, recoveryAuthKey: user.request.recovery.recoveryAuthKey },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(locked.status).toBe(429);
    expect(await auditTrailOf(api, user.userId)).toContain('account.recovery-keys:deny');
  });
});
