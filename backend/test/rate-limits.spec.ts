import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AUDIT_SYSTEM_SUBJECT, ROUTES } from '@phr/shared-types';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { auditRowsOf } from './support/audit.js';
import { registerUser, uniqueEmail, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, otherSecret, sessionIdOf } from './support/tokens.js';
import { RateLimiter } from '../src/rate-limit/rate-limiter.service.js';
import { RateLimitsRepository } from '../src/rate-limit/rate-limits.repository.js';

const GENERAL = 6;
const REGISTRATIONS = 4;
const REGISTRATION_MAILS = 2;
const DOCTOR_SEARCHES = 3;
const WINDOW_SECONDS = 60;

const LIMITS = {
  RATE_LIMIT_REQUESTS: String(GENERAL),
  RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
  RATE_LIMIT_REGISTRATIONS: String(REGISTRATIONS),
  RATE_LIMIT_REGISTRATION_MAILS: String(REGISTRATION_MAILS),
  RATE_LIMIT_DOCTOR_SEARCHES: String(DOCTOR_SEARCHES),
};

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('request rate limits (ASVS 8.1.4)', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let other: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp(LIMITS);
    patient = await registerUser(api);
    other = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  /**
   * Counts are kept in memory and synced in batches (rate-limiter.service.ts):
   * `sync` does now what the instance does every RATE_LIMIT_SYNC_MS.
   */
  const sync = () => api.app.get(RateLimiter).sync();
  /** Every test starts with fresh counters, as if a window had just begun for everyone (at this instance and in the table). */
  const resetCounters = async () => {
    await sync();
    await api.adminQuery('DELETE FROM rate_limits');
    await sync();
  };
  const me = (user: RegisteredUser) => user.client.send(ROUTES.me, { token: user.token });
  const rateLimitRows = async (subjectId: string) => (await auditRowsOf(api, subjectId)).filter((row) => row.action === 'route.rate-limit');

  it('answers a signed-in user over the general limit with 429 and Retry-After; another user is unaffected; the refusal is audited once', async () => {
    await resetCounters();
    for (let i = 0; i < GENERAL; i++) expect((await me(patient)).status).toBe(200);
    const refused = await me(patient);
    expect(refused.status).toBe(429);
    expect(refused.error?.code).toBe('TOO_MANY_REQUESTS');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect((await me(patient)).status).toBe(429);

    expect((await me(other)).status).toBe(200);
    expect((await testClient(api.baseUrl).send(ROUTES.health)).status).toBe(200);

    const rows = await rateLimitRows(patient.userId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'deny', actor_id: patient.userId, reason: `general limit of ${GENERAL} requests per ${WINDOW_SECONDS} s reached at GET /api/me` });
  });

  it('lets the client in again when its window has passed', async () => {
    await resetCounters();
    for (let i = 0; i < GENERAL; i++) await me(patient);
    expect((await me(patient)).status).toBe(429);
    await sync();
    await api.adminQuery(`UPDATE rate_limits SET window_started_at = now() - make_interval(secs => $1)`, [WINDOW_SECONDS + 1]);
    await sync();
    expect((await me(patient)).status).toBe(200);
  });

  it('counts clients without a valid token per IP, including bad tokens, and audits them in the system trail', async () => {
    await resetCounters();
    const before = (await rateLimitRows(AUDIT_SYSTEM_SUBJECT)).length;
    const anonymous = testClient(api.baseUrl);
    // Each names the patient's live session; the same claims rules as the JWT guard refuse all but the first for its key.
    const sessionId = sessionIdOf(patient.token);
    const flawed = [
      forgeToken(otherSecret(), { userId: patient.userId, sessionId }),
      forgeToken(TEST_JWT_SECRET, { userId: patient.userId, sessionId: null }),
      forgeToken(TEST_JWT_SECRET, { userId: patient.userId, sessionId, expiresInSeconds: null }),
      forgeToken(TEST_JWT_SECRET, { userId: patient.userId, sessionId, issuedInSeconds: 60 }),
    ];
    for (let i = 0; i < GENERAL - flawed.length; i++) expect((await anonymous.send(ROUTES.prelogin, { body: { email: uniqueEmail() } })).status).toBe(200);
    for (const token of flawed) expect((await anonymous.send(ROUTES.me, { token })).status).toBe(401);
    const refused = await anonymous.send(ROUTES.prelogin, { body: { email: uniqueEmail() } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // The signed-in user behind the same IP has a count of their own.
    expect((await me(patient)).status).toBe(200);
    const rows = await rateLimitRows(AUDIT_SYSTEM_SUBJECT);
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toMatchObject({ outcome: 'deny', actor_id: null, ip: '127.0.0.1', reason: expect.stringContaining('POST /api/auth/prelogin') });
  });

  it('limits registrations (starts and completions) more strictly than other requests, and creates no account when it refuses', async () => {
    await resetCounters();
    // Three starts and one completion use up the limit of four; the next completion is refused though its link is good.
    const [first, second] = [await verifiedRegistration(api), await verifiedRegistration(api)];
    await verifiedRegistration(api);
    expect((await testClient(api.baseUrl).send(ROUTES.register, { body: first })).status).toBe(201);
    const refused = await testClient(api.baseUrl).send(ROUTES.register, { body: second });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(WINDOW_SECONDS);
    expect(await api.adminQuery('SELECT 1 FROM users WHERE email = $1', [second.email])).toHaveLength(0);
    // Below the general limit, other anonymous requests still go through.
    expect((await testClient(api.baseUrl).send(ROUTES.prelogin, { body: { email: uniqueEmail() } })).status).toBe(200);
  });

  it('limits registration mails per address, the same for an address with an account as for a new one, and audits the first refusal', async () => {
    const start = (email: string) => testClient(api.baseUrl).send(ROUTES.startRegistration, { body: { email } });
    const answers: Record<string, number[]> = {};
    for (const [kind, email] of [['new', uniqueEmail('flooded')], ['taken', other.request.email]] as const) {
      await resetCounters();
      const before = (await rateLimitRows(AUDIT_SYSTEM_SUBJECT)).length;
      answers[kind] = [];
      for (let i = 0; i <= REGISTRATION_MAILS; i++) answers[kind].push((await start(i % 2 ? email.toUpperCase() : email)).status);
      const rows = await rateLimitRows(AUDIT_SYSTEM_SUBJECT);
      expect(rows.slice(before).map((row) => row.reason)).toEqual([`registrationMail limit of ${REGISTRATION_MAILS} mails per 3600 s reached for one address`]);
      // The per-client limit is not what refused it: another address still gets its mail.
      expect((await start(uniqueEmail('neighbour'))).status).toBe(202);
    }
    expect(answers).toEqual({ new: [202, 202, 429], taken: [202, 202, 429] });
    // The owner gets the two warnings that were sent, no more: the refused start queued nothing.
    for (let i = 0; i < REGISTRATION_MAILS; i++) expect((await api.mail.next(other.request.email)).subject).toBe('Someone tried to register with your email address');
  });

  it('counts a registration start once when a sync that holds the address’s earlier start is under way as it reads the shared count', async () => {
    // CI at 2fba942 refused the second of two starts: a sync had put the first into the shared count while the second read it,
    // and the second still counted the first as a hit of this instance's too.
    await resetCounters();
    const store = api.app.get(RateLimitsRepository);
    const limiter = api.app.get(RateLimiter);
    const realSync = store.sync.bind(store);
    const realHit = limiter.hit.bind(limiter);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let isFirstStartSynced = false;
    let mailHits = 0;
    // The sync that carries the first start's mail hit sends its statement and then waits, so that the second start is counted
    // between the commit and the sync's end. Other syncs (the instance's timer runs them too) go on: one held before the first
    // start was counted would hold every sync queued behind it, the test's own too.
    const heldSync = jest.spyOn(store, 'sync').mockImplementation(async (unsynced, windows) => {
      const result = await realSync(unsynced, windows);
      const carriesFirstStart = !isFirstStartSynced && unsynced.some((entry) => entry.key.startsWith('registrationMail:') && entry.hits > 0);
      if (carriesFirstStart) {
        isFirstStartSynced = true;
        await released;
      }
      return result;
    });
    // The sync goes on once the second start has taken its place among this instance's hits (hit() does that before it awaits anything).
    const countedHit = jest.spyOn(limiter, 'hit').mockImplementation((name, client) => {
      const verdict = realHit(name, client);
      if (name === 'registrationMail' && ++mailHits === 2) release();
      return verdict;
    });
    try {
      const email = uniqueEmail('synced');
      const start = () => testClient(api.baseUrl).send(ROUTES.startRegistration, { body: { email } });
      expect((await start()).status).toBe(202);
      void limiter.sync();
      await eventually(async () => isFirstStartSynced, 'the first start is in the shared count');
      expect((await start()).status).toBe(202);
      expect(mailHits).toBe(2);
      expect((await start()).status).toBe(429);
    } finally {
      release();
      countedHit.mockRestore();
      heldSync.mockRestore();
    }
  });

  it('limits doctor searches more strictly, per patient', async () => {
    await resetCounters();
    const search = (user: RegisteredUser) => user.client.send(ROUTES.searchDoctors, { body: { q: 'dr' }, token: user.token });
    for (let i = 0; i < DOCTOR_SEARCHES; i++) expect((await search(patient)).status).toBe(200);
    const refused = await search(patient);
    expect(refused.status).toBe(429);
    expect((await me(patient)).status).toBe(200);
    expect((await search(other)).status).toBe(200);
    expect((await rateLimitRows(patient.userId)).at(-1)?.reason).toMatch(/^doctorSearch limit of 3 requests per 60 s/);
  });

  describe('with a second API process on the same database', () => {
    let second: ApiProcess;

    beforeAll(async () => {
      second = await startApiProcess(api, { ...LIMITS, PRELOGIN_SECRET: api.config.preloginSecret.toString('base64') });
    });
    afterAll(async () => {
      await second?.stop();
    });

    /** The shared row of a user's general counter, as the limiter keys it. */
    const sharedHits = async (user: RegisteredUser) => {
      const key = `general:${createHmac('sha256', api.config.preloginSecret).update(`user:${user.userId}`).digest('base64url')}`;
      const [row] = await api.adminQuery<{ hits: number }>('SELECT hits FROM rate_limits WHERE key = $1', [key]);
      return row?.hits ?? 0;
    };

    it('refuses at the second instance a client who used up the limit at the first, with Retry-After, and audits it', async () => {
      await resetCounters();
      const viaSecond = testClient(second.baseUrl);
      const before = (await rateLimitRows(patient.userId)).length;
      for (let i = 0; i < GENERAL; i++) expect((await me(patient)).status).toBe(200);
      await sync();
      expect(await sharedHits(patient)).toBe(GENERAL);
      // The second instance has not seen this client in this window: it reads the shared count first.
      const refused = await viaSecond.send(ROUTES.me, { token: patient.token });
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
      expect((await me(patient)).status).toBe(429);
      const rows = await rateLimitRows(patient.userId);
      expect(rows.length).toBeGreaterThan(before);
      expect(rows.at(-1)).toMatchObject({ outcome: 'deny', actor_id: patient.userId });
    });

    it('counts a client’s requests to both instances together: hits at the second reach the first at its next sync', async () => {
      await resetCounters();
      const viaSecond = testClient(second.baseUrl);
      // The first instance holds this client's counter before the second takes the rest of the limit.
      expect((await me(other)).status).toBe(200);
      for (let i = 1; i < GENERAL; i++) expect((await viaSecond.send(ROUTES.me, { token: other.token })).status).toBe(200);
      await eventually(async () => (await sharedHits(other)) === GENERAL, 'both instances synced their hits');
      await sync();
      const refused = await me(other);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });
});
