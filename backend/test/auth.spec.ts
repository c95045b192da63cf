import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  PRIVACY_NOTICE_VERSION,
  REFRESH_COOKIE_NAME,
  ROUTES,
  type PreloginRequest,
} from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { randomKey, registerUser, registration, sealedBlob, signedIn, uniqueEmail, verifiedRegistration } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { ageRefreshUse } from './support/tokens.js';
import { startTestApp, type TestApp } from './support/test-app.js';


/** `value` lengthened with 'A's to a length of 4n + 1, which no whole number of bytes has in base64url. */
const oneCharacterOver = (value: string) => value + 'A'.repeat(((1 - (value.length % 4)) + 4) % 4 || 4);

describe('accounts and sessions', () => {
  let api: TestApp;
  let http: TestClient;

  beforeAll(async () => {
    api = await startTestApp();
    http = testClient(api.baseUrl);
  });
  afterAll(async () => {
    await api?.close();
  });

  describe('registration', () => {
    it('creates a patient, signs them in and returns their key blobs', async () => {
      const client = testClient(api.baseUrl);
      const request = await verifiedRegistration(api);
      const response = await client.send(ROUTES.register, { body: request });
      expect(response.status).toBe(201);
      expect(response.body.user).toMatchObject({ email: request.email, role: 'patient', displayName: request.displayName });
      expect(response.body.keys).toEqual({
        kdf: request.kdf,
        wrappedAccountKey: request.keys.wrappedAccountKey,
        wrappedPrivateKey: request.keys.wrappedPrivateKey,
        publicKey: request.keys.publicKey,
        fingerprint: response.body.user.fingerprint,
        keyGeneration: 1,
      });
      expect(response.body.expiresIn).toBeLessThanOrEqual(900);
      expect(client.cookies.has(REFRESH_COOKIE_NAME)).toBe(true);
    });

    it('creates a doctor', async () => {
      const doctor = await registerUser(api, 'doctor');
      expect(doctor.session.user.role).toBe('doctor');
    });

    it('stores only an argon2id hash of the auth key, never the key itself', async () => {
      const user = await registerUser(api);
      const [row] = await api.adminQuery<{ auth_hash: string; recovery_auth_hash: string }>(
        'SELECT auth_hash, recovery_auth_hash FROM credentials WHERE user_id = $1',
        [user.userId],
      );
      expect(row.auth_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row.recovery_auth_hash).toMatch(/^\$argon2id\$/);
      const dump = JSON.stringify(await api.adminQuery('SELECT * FROM credentials WHERE user_id = $1', [user.userId]));
      expect(dump).not.toContain(user.request.authKey);
      expect(dump).not.toContain(user.request.recovery.recoveryAuthKey);
    });

    it('computes the public-key fingerprint as SHA-256 of the SPKI bytes', async () => {
      const user = await registerUser(api);
      const { createHash } = await import('node:crypto');
      const expected = createHash('sha256').update(Buffer.from(user.request.keys.publicKey, 'base64url')).digest('hex');
      expect(user.session.user.fingerprint).toBe(expected);
    });

    it('refuses to let anyone register as an auditor', async () => {
      // A role the contract's type does not allow, on purpose.
      const response = await http.unchecked().send(ROUTES.register, {
        body: { ...registration(), role: 'auditor' },
      });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((f) => f.field)).toEqual(['role']);
    });

    it.each([
      ['an unknown field', { ...registration(), isAdmin: true }, 'isAdmin'],
      ['a malformed email', registration({ email: 'not-an-email' }), 'email'],
      ['an auth key of the wrong length', registration({ authKey: randomKey(16) }), 'authKey'],
      ['KDF iterations below 600 000', { ...registration(), kdf: { ...registration().kdf, iterations: 100_000 } }, 'kdf.iterations'],
      ['a salt of the wrong length', { ...registration(), kdf: { ...registration().kdf, salt: randomKey(8) } }, 'kdf.salt'],
      ['an unknown field inside keys', { ...registration(), keys: { ...registration().keys, privateKey: 'x' } }, 'keys.privateKey'],
      ['a non-base64url wrapped key', { ...registration(), keys: { ...registration().keys, wrappedAccountKey: 'a+b/c='.repeat(10) } }, 'keys.wrappedAccountKey'],
      // Stray bits in the last character (B is 000001), or a length no bytes give: the portal refuses such a value, so the API must too.
      ['a salt in a non-canonical spelling', { ...registration(), kdf: { ...registration().kdf, salt: `${registration().kdf.salt.slice(0, -1)}B` } }, 'kdf.salt'],
      ['an auth key in a non-canonical spelling', registration({ authKey: `${randomKey(32).slice(0, -1)}B` }), 'authKey'],
      ['a wrapped key one character over a whole number of bytes', { ...registration(), keys: { ...registration().keys, wrappedAccountKey: oneCharacterOver(registration().keys.wrappedAccountKey) } }, 'keys.wrappedAccountKey'],
      ['an empty display name', registration({ displayName: '' }), 'displayName'],
    ])('names the field in a 400 for %s', async (_case, body, field) => {
      const response = await http.send(ROUTES.register, { body });
      expect(response.status).toBe(400);
      expect(response.error?.code).toBe('VALIDATION_FAILED');
      expect(response.error?.fields?.map((f) => f.field)).toContain(field);
    });

    it.each([
      ['missing', (({ privacyNoticeVersion: _omitted, ...rest }) => rest)(registration())],
      ['false', { ...registration(), privacyNoticeVersion: false }],
      ['an older version', registration({ privacyNoticeVersion: '2020-01-01' })],
    ])('refuses a registration whose privacy notice acceptance is %s with a 400 naming the field, and creates no account', async (_case, body) => {
      const response = await http.unchecked().send(ROUTES.register, { body });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'privacyNoticeVersion', message: expect.stringContaining('privacy notice must be read and accepted') }]);
      expect(await api.adminQuery('SELECT 1 FROM users WHERE email = $1', [body.email])).toHaveLength(0);
    });

    it('records which privacy notice was accepted, when and from where, in the account’s first audit row', async () => {
      const user = await registerUser(api);
      const [first] = await auditRowsOf(api, user.userId);
      expect(first).toMatchObject({ seq: '1', action: 'account.register', outcome: 'allow', reason: `privacy notice ${PRIVACY_NOTICE_VERSION} accepted` });
      expect(first.ip).toBeTruthy();
      expect(first.occurred_at).toBeInstanceOf(Date);
    });

    it('refuses a wrapped key with an unknown protocol version', async () => {
      const blob = Buffer.from(sealedBlob(), 'base64url');
      blob[0] = 9;
      const body = registration();
      body.keys.wrappedPrivateKey = blob.toString('base64url');
      const response = await http.send(ROUTES.register, { body });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'keys.wrappedPrivateKey', message: expect.stringContaining('protocol version') }]);
    });

    it.each([
      ['of 2048 bits', { modulusLength: 2048 }],
      // No one could share with it: a wrap for it would be 512 bytes, and the API takes 384.
      ['of 4096 bits', { modulusLength: 4096 }],
      ['of 3072 bits with the exponent 3', { modulusLength: 3072, publicExponent: 3 }],
    ])('refuses an RSA public key %s: keys are RSA-3072 with e = 65537', async (_case, shape) => {
      const { generateKeyPairSync } = await import('node:crypto');
      const other = generateKeyPairSync('rsa', shape).publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
      const body = registration();
      body.keys.publicKey = other;
      const response = await http.send(ROUTES.register, { body });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'keys.publicKey', message: 'keys.publicKey must be an RSA key of 3072 bits with the exponent 65537 (the wraps made for it are 384 bytes)' }]);
    });

    it('answers malformed JSON with a 400 that leaks nothing', async () => {
      const response = await http.unchecked().send(ROUTES.register, { rawBody: '{"email": ' });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'body' }] });
      expect(response.text).not.toMatch(/at \w+ \(|node_modules|SyntaxError/);
    });

    it('refuses a body over the size limit with 413 and stores nothing', async () => {
      const body = registration({ displayName: 'x'.repeat(100) });
      const padded = { ...body, keys: { ...body.keys, wrappedPrivateKey: 'A'.repeat(api.config.bodyLimitBytes) } };
      const response = await http.send(ROUTES.register, { body: padded });
      expect(response.status).toBe(413);
      expect(response.error?.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await api.adminQuery('SELECT 1 FROM users WHERE email = $1', [body.email])).toHaveLength(0);
    });
  });

  describe('prelogin', () => {
    const prelogin = (body: PreloginRequest) => http.send(ROUTES.prelogin, { body });

    it("returns an account's own KDF parameters", async () => {
      const user = await registerUser(api);
      const response = await prelogin({ email: user.request.email });
      expect(response.status).toBe(200);
      expect(response.body.kdf).toEqual(user.request.kdf);
    });

    it('answers an unknown email with stable, plausible parameters, so it does not reveal who has an account', async () => {
      const email = uniqueEmail('nobody');
      const first = await prelogin({ email });
      const second = await prelogin({ email: email.toUpperCase() });
      const other = await prelogin({ email: uniqueEmail('nobody') });
      expect(first.status).toBe(200);
      expect(first.body).toEqual(second.body);
      expect(first.body.kdf.salt).not.toBe(other.body.kdf.salt);
      expect(first.body.kdf).toEqual({ algorithm: 'PBKDF2-SHA256', iterations: 600_000, salt: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      expect(Object.keys(first.body)).toEqual(['kdf']);
    });

    it('names the email field when it is missing or malformed', async () => {
      for (const body of [{}, { email: 'nope' }, { email: 'a@b.org', extra: 1 }]) {
        // Bodies the contract forbids, on purpose.
        const response = await http.unchecked().send(ROUTES.prelogin, { body });
        expect(response.status).toBe(400);
        expect(response.error?.fields?.[0]?.field).toMatch(/email|extra/);
      }
    });

    it('takes the email only in the body: the old GET form with the email in the query string is gone (ASVS 8.3.1)', async () => {
      const user = await registerUser(api);
      // The wrong method on purpose: a GET of the prelogin route, the email in the query.
      const asQuery = await http.unchecked().request('GET', ROUTES.prelogin.path, { query: { email: user.request.email } });
      expect(asQuery.status).toBe(404);
      expect(asQuery.text).not.toContain('kdf');
      expect((await prelogin({ email: user.request.email })).body.kdf).toEqual(user.request.kdf);
    });
  });

  describe('login', () => {
    it('signs in with the auth key and sets the refresh token in an httpOnly, Secure-capable, SameSite=Strict cookie', async () => {
      const user = await registerUser(api);
      const client = testClient(api.baseUrl);
      const response = await client.send(ROUTES.login, {
        body: { email: user.request.email, authKey: user.request.authKey },
      });
      expect(response.status).toBe(200);
      expect(signedIn(response.body).user.id).toBe(user.userId);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${REFRESH_COOKIE_NAME}=`));
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/Path=\/api\/auth/);
      expect(response.text).not.toContain(client.cookies.get(REFRESH_COOKIE_NAME));
    });

    it('gives a wrong auth key and an unknown email the same 401', async () => {
      const user = await registerUser(api);
      const wrongKey = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: randomKey() } });
      const unknown = await http.send(ROUTES.login, { body: { email: uniqueEmail(), authKey: randomKey() } });
      expect(wrongKey.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect({ ...wrongKey.body, requestId: '' }).toEqual({ ...unknown.body, requestId: '' });
    });

    it('issues an access token that lasts at most 15 minutes and names its key', async () => {
      const user = await registerUser(api);
      const [header, payload] = user.token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
      expect(header).toMatchObject({ alg: 'HS256', kid: 'k1' });
      expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(900);
      expect(payload).toMatchObject({ sub: user.userId, role: 'patient' });
    });
  });

  describe('refresh', () => {
    it('rotates the refresh token on every use', async () => {
      const user = await registerUser(api);
      const first = user.client.cookies.get(REFRESH_COOKIE_NAME);
      const response = await user.client.send(ROUTES.refresh);
      expect(response.status).toBe(200);
      expect(response.body.accessToken).toEqual(expect.any(String));
      const second = user.client.cookies.get(REFRESH_COOKIE_NAME);
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      const me = await http.send(ROUTES.me, { token: response.body.accessToken });
      expect(me.status).toBe(200);
    });

    it('revokes the whole family when an old refresh token is used again', async () => {
      const user = await registerUser(api);
      const stolen = user.client.cookies.get(REFRESH_COOKIE_NAME) as string;
      expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
      // Past the window in which another tab's refresh of the same token is still accepted (SessionService.rotate).
      await ageRefreshUse(api, user.userId);

      const attacker = testClient(api.baseUrl);
      attacker.cookies.set(REFRESH_COOKIE_NAME, stolen);
      const reuse = await attacker.send(ROUTES.refresh);
      expect(reuse.status).toBe(401);
      expect(reuse.error?.code).toBe('REFRESH_TOKEN_REUSED');

      // The legitimate holder's newer token is now dead too.
      const legitimate = await user.client.send(ROUTES.refresh);
      expect(legitimate.status).toBe(401);
      const live = await api.adminQuery('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.userId]);
      expect(live).toHaveLength(0);
    });

    it('refuses a missing or made-up refresh token', async () => {
      expect((await testClient(api.baseUrl).send(ROUTES.refresh)).status).toBe(401);
      const client = testClient(api.baseUrl);
      client.cookies.set(REFRESH_COOKIE_NAME, randomKey());
      expect((await client.send(ROUTES.refresh)).status).toBe(401);
    });

    it('refuses an expired refresh token', async () => {
      const user = await registerUser(api);
      await api.adminQuery(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.userId]);
      expect((await user.client.send(ROUTES.refresh)).status).toBe(401);
    });
  });

  describe('logout', () => {
    it('ends the session: the refresh token no longer works and the cookie is cleared', async () => {
      const user = await registerUser(api);
      const token = user.client.cookies.get(REFRESH_COOKIE_NAME) as string;
      const response = await user.client.send(ROUTES.logout);
      expect(response.status).toBe(204);
      expect(user.client.cookies.has(REFRESH_COOKIE_NAME)).toBe(false);
      const replay = testClient(api.baseUrl);
      replay.cookies.set(REFRESH_COOKIE_NAME, token);
      expect((await replay.send(ROUTES.refresh)).status).toBe(401);
    });

    it('answers 204 without a session too', async () => {
      expect((await testClient(api.baseUrl).send(ROUTES.logout)).status).toBe(204);
    });
  });

  describe('password change', () => {
    it('re-wraps the account key: the new auth key signs in, the old one does not, the key pair is unchanged', async () => {
      const user = await registerUser(api);
      const newAuthKey = randomKey();
      const newWrappedAccountKey = sealedBlob();
      const newKdf = { ...user.request.kdf, salt: randomKey(16) };
      const change = await user.client.send(ROUTES.changePassword, {
        token: user.token,
        body: { currentAuthKey: user.request.authKey, newAuthKey, newKdf, newWrappedAccountKey },
      });
      expect(change.status).toBe(204);

      const old = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(old.status).toBe(401);
      const fresh = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: newAuthKey } });
      expect(fresh.status).toBe(200);
      expect(signedIn(fresh.body).keys).toMatchObject({
        kdf: newKdf,
        wrappedAccountKey: newWrappedAccountKey,
        wrappedPrivateKey: user.request.keys.wrappedPrivateKey,
        publicKey: user.request.keys.publicKey,
      });
    });

    it('ends the other sessions but keeps the one that changed the password', async () => {
      const user = await registerUser(api);
      const elsewhere = testClient(api.baseUrl);
      await elsewhere.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      const change = await user.client.send(ROUTES.changePassword, {
        token: user.token,
        body: { currentAuthKey: user.request.authKey, newAuthKey: randomKey(), newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
      });
      expect(change.status).toBe(204);
      expect((await elsewhere.send(ROUTES.refresh)).status).toBe(401);
      expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
    });

    it('refuses a wrong current password with 403 and changes nothing', async () => {
      const user = await registerUser(api);
      const response = await user.client.send(ROUTES.changePassword, {
        token: user.token,
        body: { currentAuthKey: randomKey(), newAuthKey: randomKey(), newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
      });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe('INVALID_CREDENTIALS');
      const login = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(login.status).toBe(200);
    });
  });

  describe('recovery with the recovery code', () => {
    it('hands the recovery wrap only to the holder of the recovery code', async () => {
      const user = await registerUser(api);
      const good = await http.send(ROUTES.recoveryKeys, {
        body: { email: user.request.email, recoveryAuthKey: user.request.recovery.recoveryAuthKey },
      });
      expect(good.status).toBe(200);
      expect(good.body).toEqual({ recoveryWrappedAccountKey: user.request.recovery.recoveryWrappedAccountKey });
      const bad = await http.send(ROUTES.recoveryKeys, { body: { email: user.request.email, recoveryAuthKey: randomKey() } });
      expect(bad.status).toBe(401);
    });

    it('sets a new password and a new recovery code, keeps the key pair, and retires the old code', async () => {
      const user = await registerUser(api);
      const newAuthKey = randomKey();
      const newRecovery = { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: sealedBlob() };
      const client = testClient(api.baseUrl);
      const reset = await client.send(ROUTES.recoveryReset, {
        body: {
          email: user.request.email,
          recoveryAuthKey: user.request.recovery.recoveryAuthKey,
          newAuthKey,
          newKdf: { ...user.request.kdf, salt: randomKey(16) },
          newWrappedAccountKey: sealedBlob(),
          newRecovery,
        },
      });
      expect(reset.status).toBe(200);
      expect(reset.body.keys.publicKey).toBe(user.request.keys.publicKey);
      expect(reset.body.keys.wrappedPrivateKey).toBe(user.request.keys.wrappedPrivateKey);

      const oldCode = await http.send(ROUTES.recoveryKeys, { body: { email: user.request.email, recoveryAuthKey: user.request.recovery.recoveryAuthKey } });
      expect(oldCode.status).toBe(401);
      const newCode = await http.send(ROUTES.recoveryKeys, { body: { email: user.request.email, recoveryAuthKey: newRecovery.recoveryAuthKey } });
      expect(newCode.status).toBe(200);
      expect((await http.send(ROUTES.login, { body: { email: user.request.email, authKey: newAuthKey } })).status).toBe(200);
      // Sessions from before the recovery are over.
      expect((await user.client.send(ROUTES.refresh)).status).toBe(401);
    });
  });

  describe('public keys', () => {
    it("lets a signed-in user read another user's public key and fingerprint", async () => {
      const doctor = await registerUser(api, 'doctor');
      const patient = await registerUser(api);
      const response = await http.send(ROUTES.publicKey, { params: { id: doctor.userId }, token: patient.token });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        userId: doctor.userId,
        algorithm: 'RSA-OAEP-SHA256',
        publicKey: doctor.request.keys.publicKey,
        fingerprint: doctor.session.user.fingerprint,
      });
    });

    it('answers 404 for an unknown user and 400 for a malformed id', async () => {
      const patient = await registerUser(api);
      const unknown = await http.send(ROUTES.publicKey, { params: { id: '7d3f1c8e-4a2b-4c1d-9e8f-0a1b2c3d4e5f' }, token: patient.token });
      expect(unknown.status).toBe(404);
      const malformed = await http.send(ROUTES.publicKey, { params: { id: 'not-a-uuid' }, token: patient.token });
      expect(malformed.status).toBe(400);
      expect(malformed.error?.fields).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });
  });

  describe('what responses never contain', () => {
    it('never returns an auth key, a hash or a refresh token in a body', async () => {
      const user = await registerUser(api);
      const bodies = [
        JSON.stringify(user.session),
        (await http.send(ROUTES.me, { token: user.token })).text,
        (await user.client.send(ROUTES.refresh)).text,
        (await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } })).text,
      ].join('\n');
      expect(bodies).not.toContain(user.request.authKey);
      expect(bodies).not.toContain(user.request.recovery.recoveryAuthKey);
      expect(bodies).not.toContain('$argon2id$');
      expect(bodies).not.toContain(user.client.cookies.get(REFRESH_COOKIE_NAME));
    });
  });
});
