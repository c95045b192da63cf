import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Secret, TOTP } from 'otpauth';
import { ERROR_CODES, ROUTES, TOTP_SECRET_BYTES, type TotpEnrolment } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { randomKey, registerStaff, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, sessionIdOf } from './support/tokens.js';
import { SoftAuthenticator, enrolSecurityKey } from './support/webauthn.js';

/** The authenticator app of a test: the same library, fed the secret the enrolment showed. */
function appFor(enrolment: TotpEnrolment): TOTP {
  return new TOTP({ secret: Secret.fromBase32(enrolment.secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

/** The code the app shows `offsetSeconds` from now (30 = the next time step, -60 = two steps ago). */
function codeAt(app: TOTP, offsetSeconds = 0): string {
  return app.generate({ timestamp: Date.now() + offsetSeconds * 1000 });
}

/** Six digits that are no code of the app from two steps ago to two ahead: wrong whichever step the server is in. */
function wrongCode(app: TOTP): string {
  const near = new Set([-60, -30, 0, 30, 60].map((offset) => codeAt(app, offset)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

async function enrol(user: RegisteredUser): Promise<{ enrolment: TotpEnrolment; app: TOTP }> {
  const response = await user.client.send(ROUTES.enrolTotp, { token: user.token });
  expect(response.status).toBe(201);
  return { enrolment: response.body, app: appFor(response.body) };
}

/** Enrolled and confirmed with the current step's code: the next sign-in must use a later step. */
async function activate(user: RegisteredUser): Promise<TOTP> {
  const { app } = await enrol(user);
  const confirmed = await user.client.send(ROUTES.confirmTotp, { token: user.token, body: { code: codeAt(app) } });
  expect(confirmed.status).toBe(200);
  return app;
}

/** The password step of a fresh browser: the second factor's challenge token. */
async function passwordStep(http: TestClient, user: RegisteredUser): Promise<string> {
  const response = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
  if (response.status !== 200 || !('secondFactor' in response.body)) throw new Error(`expected a second-factor challenge: ${response.status} ${response.text}`);
  return response.body.challengeToken;
}

const sendCode = (http: TestClient, challengeToken: string, code: string) => http.unchecked().send(ROUTES.loginTotp, { body: { challengeToken, code } });

describe('authenticator apps (TOTP, RFC 6238) as a second factor (ASVS 6.3.2)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  describe('enrolment', () => {
    it('issues a 160-bit secret made by the server as base32 and an otpauth URI, active only once a current code confirms it; both steps audited', async () => {
      const user = await registerUser(api);
      const { enrolment, app } = await enrol(user);
      expect(app.secret.bytes).toHaveLength(TOTP_SECRET_BYTES);
      const uri = new URL(enrolment.uri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.searchParams.get('secret')).toBe(enrolment.secret);
      expect(Object.fromEntries(uri.searchParams)).toMatchObject({ issuer: 'Patient-held records', algorithm: 'SHA1', digits: '6', period: '30' });
      expect(decodeURIComponent(uri.pathname)).toContain(user.request.email);
      expect((await user.client.send(ROUTES.totpStatus, { token: user.token })).body).toEqual({ isActive: false, confirmedAt: null, lastUsedAt: null });
      // Not a second factor yet: the password alone still signs in.
      const before = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(before.body).toHaveProperty('accessToken');

      const confirmed = await user.client.send(ROUTES.confirmTotp, { token: user.token, body: { code: codeAt(app) } });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ isActive: true, confirmedAt: expect.any(String) });
      expect(await auditTrailOf(api, user.userId)).toEqual(expect.arrayContaining(['account.totp-enrol:allow', 'account.totp-confirm:allow']));
    });

    it('keeps the secret sealed at rest: the row holds neither its bytes nor its base32 text', async () => {
      const user = await registerUser(api);
      const { app, enrolment } = await enrol(user);
      const [row] = await api.adminQuery<{ sealed_secret: Buffer }>('SELECT sealed_secret FROM totp_factors WHERE user_id = $1', [user.userId]);
      expect(row.sealed_secret.length).toBeGreaterThan(TOTP_SECRET_BYTES);
      expect(row.sealed_secret.includes(Buffer.from(app.secret.bytes))).toBe(false);
      expect(row.sealed_secret.toString('latin1')).not.toContain(enrolment.secret);
    });

    it('binds the sealed secret to its account: copied into another account’s row it does not open, and the code is refused (401, not a server error)', async () => {
      const owner = await registerUser(api);
      const other = await registerUser(api);
      const ownerApp = await activate(owner);
      await activate(other);
      await api.adminQuery('UPDATE totp_factors SET sealed_secret = (SELECT sealed_secret FROM totp_factors WHERE user_id = $1) WHERE user_id = $2', [owner.userId, other.userId]);
      const http = testClient(api.baseUrl);
      const refused = await sendCode(http, await passwordStep(http, other), codeAt(ownerApp, 30));
      expect(refused.status).toBe(401);
      const reasons = (await auditRowsOf(api, other.userId)).filter((row) => row.action === 'session.totp').map((row) => row.reason);
      expect(reasons).toEqual([expect.stringMatching(/^the sealed secret does not open/)]);
    });

    it('refuses a wrong code with 400 naming code, keeps the app inactive, and audits the refusal', async () => {
      const user = await registerUser(api);
      const { app } = await enrol(user);
      const refused = await user.client.unchecked().send(ROUTES.confirmTotp, { token: user.token, body: { code: wrongCode(app) } });
      expect(refused.status).toBe(400);
      expect(refused.error?.fields).toEqual([expect.objectContaining({ field: 'code' })]);
      expect((await user.client.send(ROUTES.totpStatus, { token: user.token })).body.isActive).toBe(false);
      const [denial] = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'account.totp-confirm');
      expect(denial).toMatchObject({ outcome: 'deny', reason: 'wrong code' });
    });

    it('refuses the code of an expired time step (two steps ago) at confirmation', async () => {
      const user = await registerUser(api);
      const { app } = await enrol(user);
      const refused = await user.client.unchecked().send(ROUTES.confirmTotp, { token: user.token, body: { code: codeAt(app, -60) } });
      expect(refused.status).toBe(400);
      const [denial] = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'account.totp-confirm');
      expect(denial.reason).toMatch(/^code of a time step \d+ steps ago/);
    });

    it('refuses a second enrolment while an app is active (409), and a confirmation with nothing to confirm (404)', async () => {
      const user = await registerUser(api);
      const stranger = await registerUser(api);
      await activate(user);
      expect((await user.client.unchecked().send(ROUTES.enrolTotp, { token: user.token })).status).toBe(409);
      const nothing = await stranger.client.unchecked().send(ROUTES.confirmTotp, { token: stranger.token, body: { code: '123456' } });
      expect(nothing.status).toBe(404);
    });

    it('answers malformed codes with 400 naming the field, and no token or a forged one with 401', async () => {
      const user = await registerUser(api);
      await enrol(user);
      for (const code of ['12345', '1234567', 'abcdef', 123456, null]) {
        const response = await user.client.unchecked().send(ROUTES.confirmTotp, { token: user.token, body: { code } });
        expect(response.status).toBe(400);
        expect(response.error?.fields?.map((field) => field.field)).toEqual(['code']);
      }
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.enrolTotp)).status).toBe(401);
      const forged = forgeToken(randomKey(32), { userId: user.userId, role: 'patient', sessionId: sessionIdOf(user.token) });
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.totpStatus, { token: forged })).status).toBe(401);
    });
  });

  describe('sign-in', () => {
    it('asks for a code after the password, issues no session before it, and signs in with the next step’s code', async () => {
      const user = await registerUser(api);
      const app = await activate(user);
      const http = testClient(api.baseUrl);
      const first = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(first.body).toEqual({ secondFactor: 'totp', challengeToken: expect.any(String) });
      expect(first.headers.getSetCookie()).toEqual([]);
      if (!('challengeToken' in first.body)) throw new Error('no challenge');
      const second = await sendCode(http, first.body.challengeToken, codeAt(app, 30));
      expect(second.status).toBe(200);
      expect((second.body).user.id).toBe(user.userId);
      expect(await auditTrailOf(api, user.userId)).toEqual(expect.arrayContaining(['session.totp:allow']));
      expect((await user.client.send(ROUTES.totpStatus, { token: user.token })).body.lastUsedAt).not.toBeNull();
    });

    it('refuses a replayed code: the step of an accepted code is not accepted again, even with a new challenge', async () => {
      const user = await registerUser(api);
      const app = await activate(user);
      const code = codeAt(app, 30);
      expect((await sendCode(testClient(api.baseUrl), await passwordStep(testClient(api.baseUrl), user), code)).status).toBe(200);
      const http = testClient(api.baseUrl);
      const replayed = await sendCode(http, await passwordStep(http, user), code);
      expect(replayed.status).toBe(401);
      expect(replayed.error?.code).toBe(ERROR_CODES.invalidCredentials);
      // The confirmation's own step is used up too.
      const confirmationStep = await sendCode(http, await passwordStep(http, user), codeAt(app));
      expect(confirmationStep.status).toBe(401);
      const reasons = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.totp' && row.outcome === 'deny').map((row) => row.reason);
      expect(reasons).toContain('code of a time step already used (replay)');
    });

    it('refuses an expired step and a wrong code; each refusal ends the sign-in and is audited', async () => {
      const user = await registerUser(api);
      const app = await activate(user);
      const http = testClient(api.baseUrl);
      const expiredChallenge = await passwordStep(http, user);
      expect((await sendCode(http, expiredChallenge, codeAt(app, -60))).status).toBe(401);
      // The challenge went with the refusal: not even the right code answers it now.
      expect((await sendCode(http, expiredChallenge, codeAt(app, 30))).status).toBe(401);
      expect((await sendCode(http, await passwordStep(http, user), wrongCode(app))).status).toBe(401);
      const reasons = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.totp' && row.outcome === 'deny').map((row) => row.reason);
      expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^code of a time step \d+ steps ago/), 'wrong code']));
      expect(http.cookies.size).toBe(0);
    });

    it('answers malformed sign-in steps with 400 naming the field', async () => {
      const http = testClient(api.baseUrl).unchecked();
      const badCode = await http.send(ROUTES.loginTotp, { body: { challengeToken: randomKey(32), code: '12 456' } });
      expect(badCode.status).toBe(400);
      expect(badCode.error?.fields?.map((field) => field.field)).toEqual(['code']);
      const badToken = await http.send(ROUTES.loginTotp, { body: { challengeToken: 'short', code: '123456' } });
      expect(badToken.status).toBe(400);
      expect(badToken.error?.fields?.map((field) => field.field)).toEqual(['challengeToken']);
      const unknown = await http.send(ROUTES.loginTotp, { body: { challengeToken: randomKey(32), code: '123456' } });
      expect(unknown.status).toBe(401);
    });

    it('with a security key as well, the key’s challenge says acceptsTotp and a code answers it instead', async () => {
      const user = await registerUser(api);
      await enrolSecurityKey(user, new SoftAuthenticator());
      const app = await activate(user);
      const http = testClient(api.baseUrl);
      const first = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(first.body).toMatchObject({ secondFactor: 'webauthn', acceptsTotp: true });
      if (!('challengeToken' in first.body)) throw new Error('no challenge');
      expect((await sendCode(http, first.body.challengeToken, codeAt(app, 30))).status).toBe(200);
    });
  });

  describe('removal', () => {
    it('removes the app only with the current password, audits it, and sign-in is then the password alone', async () => {
      const user = await registerUser(api);
      await activate(user);
      const wrong = await user.client.unchecked().send(ROUTES.removeTotp, { token: user.token, body: { currentAuthKey: randomKey(32) } });
      expect(wrong.status).toBe(403);
      expect((await user.client.send(ROUTES.totpStatus, { token: user.token })).body.isActive).toBe(true);
      const removed = await user.client.send(ROUTES.removeTotp, { token: user.token, body: { currentAuthKey: user.request.authKey } });
      expect(removed.status).toBe(204);
      expect(await auditTrailOf(api, user.userId)).toEqual(expect.arrayContaining(['account.totp-remove:deny', 'account.totp-remove:allow']));
      const login = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(login.body).toHaveProperty('accessToken');
    });

    it('touches only the caller’s own app: another account removing gets 404 and the owner’s app stays', async () => {
      const owner = await registerUser(api);
      const other = await registerUser(api, 'doctor');
      await activate(owner);
      const response = await other.client.unchecked().send(ROUTES.removeTotp, { token: other.token, body: { currentAuthKey: other.request.authKey } });
      expect(response.status).toBe(404);
      expect((await owner.client.send(ROUTES.totpStatus, { token: owner.token })).body.isActive).toBe(true);
      expect((await other.client.send(ROUTES.totpStatus, { token: other.token })).body.isActive).toBe(false);
    });
  });

  describe('with the policy off (REQUIRE_SECOND_FACTOR_ROLES unset)', () => {
    it('gives a doctor without a second factor a full session', async () => {
      const doctor = await registerUser(api, 'doctor');
      expect(doctor.session).not.toHaveProperty('mustEnrolSecondFactor');
      expect((await doctor.client.send(ROUTES.me, { token: doctor.token })).status).toBe(200);
    });
  });
});

describe('a second factor required of doctors and auditors (REQUIRE_SECOND_FACTOR_ROLES, ASVS 6.3.2)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ REQUIRE_SECOND_FACTOR_ROLES: 'doctor,auditor' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('gives a doctor without one a session that may only enrol one: elsewhere 403 SECOND_FACTOR_REQUIRED, audited', async () => {
    const doctor = await registerUser(api, 'doctor');
    expect(doctor.session.mustEnrolSecondFactor).toBe(true);
    const refused = await doctor.client.unchecked().send(ROUTES.me, { token: doctor.token });
    expect(refused.status).toBe(403);
    expect(refused.error?.code).toBe(ERROR_CODES.secondFactorRequired);
    const sessions = await doctor.client.unchecked().send(ROUTES.listSessions, { token: doctor.token });
    expect(sessions.error?.code).toBe(ERROR_CODES.secondFactorRequired);
    const denial = (await auditRowsOf(api, doctor.userId)).find((row) => row.action === 'route.access' && row.outcome === 'deny');
    expect(denial?.reason).toMatch(/without the second factor its role requires may not use GET \/api\/me/);
    // The enrolment routes, of both kinds of factor, answer.
    expect((await doctor.client.send(ROUTES.totpStatus, { token: doctor.token })).status).toBe(200);
    expect((await doctor.client.send(ROUTES.listSecurityKeys, { token: doctor.token })).status).toBe(200);
  });

  it('the restriction is in the signed token: a refresh keeps it until a factor is enrolled, then lifts it', async () => {
    const doctor = await registerUser(api, 'doctor');
    const still = await doctor.client.send(ROUTES.refresh);
    expect(still.body).toMatchObject({ mustEnrolSecondFactor: true });
    const app = await activate({ ...doctor, token: still.body.accessToken });
    const full = await doctor.client.send(ROUTES.refresh);
    expect(full.status).toBe(200);
    expect(full.body).not.toHaveProperty('mustEnrolSecondFactor');
    expect((await doctor.client.send(ROUTES.me, { token: (full.body).accessToken })).status).toBe(200);
    // From now on, the doctor's sign-in asks for the code.
    const http = testClient(api.baseUrl);
    const login = await sendCode(http, await passwordStep(http, doctor), codeAt(app, 30));
    expect(login.status).toBe(200);
    expect(login.body).not.toHaveProperty('mustEnrolSecondFactor');
  });

  it('restricts an auditor without a factor too, and not a patient', async () => {
    const auditor = await registerStaff(api, 'auditor');
    expect(auditor.session.mustEnrolSecondFactor).toBe(true);
    expect((await auditor.client.unchecked().send(ROUTES.listAudit, { token: auditor.token })).error?.code).toBe(ERROR_CODES.secondFactorRequired);
    const patient = await registerUser(api);
    expect(patient.session).not.toHaveProperty('mustEnrolSecondFactor');
    expect((await patient.client.send(ROUTES.me, { token: patient.token })).status).toBe(200);
  });

  it('a token forged without the scope is refused (401): the restriction cannot be dropped without the signing key', async () => {
    const doctor = await registerUser(api, 'doctor');
    const forged = forgeToken(randomKey(32), { userId: doctor.userId, role: 'doctor', sessionId: sessionIdOf(doctor.token) });
    expect((await testClient(api.baseUrl).unchecked().send(ROUTES.me, { token: forged })).status).toBe(401);
    // The same claims signed with the real key would pass: the key, not the claim's absence, is the guard.
    const signed = forgeToken(TEST_JWT_SECRET, { userId: doctor.userId, role: 'doctor', sessionId: sessionIdOf(doctor.token), scope: 'enrol-second-factor' });
    expect((await testClient(api.baseUrl).unchecked().send(ROUTES.me, { token: signed })).error?.code).toBe(ERROR_CODES.secondFactorRequired);
  });
});

describe('authenticator-app codes are rate-limited per client (ASVS 6.3.2, 8.1.4)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ RATE_LIMIT_SECOND_FACTOR_ATTEMPTS: '3', RATE_LIMIT_SECOND_FACTOR_WINDOW_SECONDS: '300' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers the fourth code within the window with 429 and Retry-After, even a right one, and audits the refusal', async () => {
    const user = await registerUser(api);
    const { app } = await enrol(user);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await user.client.unchecked().send(ROUTES.confirmTotp, { token: user.token, body: { code: wrongCode(app) } })).status).toBe(400);
    }
    const limited = await user.client.unchecked().send(ROUTES.confirmTotp, { token: user.token, body: { code: codeAt(app) } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await auditTrailOf(api, user.userId)).toContain('route.rate-limit:deny');
  });
});
