import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ROUTES,
  type SecurityKey,
} from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { randomKey, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { proofFor } from './support/proof-of-work.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { SoftAuthenticator, enrolSecurityKey, passwordStep, signInWithSecurityKey } from './support/webauthn.js';

describe('security keys: an optional WebAuthn second factor (ASVS 2.3.2)', () => {
  let api: TestApp;

  beforeAll(async () => {
    // After three refused attempts a client the account does not know owes a proof of work (small here, solved at once).
    api = await startTestApp({ LOGIN_FREE_FAILURES: '3', LOGIN_POW_MIN_BITS: '8', LOGIN_POW_MAX_BITS: '10' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const keysOf = async (user: RegisteredUser) => (await user.client.send(ROUTES.listSecurityKeys, { token: user.token })).body.keys;
  /** Unchecked: the credential is a forged or broken one in most cases here. */
  const answer = (http: TestClient, challengeToken: string, credential: unknown) =>
    http.unchecked().send(ROUTES.loginWebAuthn, { body: { challengeToken, credential } });

  /** A patient with one enrolled key, and the authenticator that holds it. */
  async function patientWithKey(): Promise<{ user: RegisteredUser; authenticator: SoftAuthenticator; key: SecurityKey }> {
    const user = await registerUser(api);
    const authenticator = new SoftAuthenticator();
    const key = await enrolSecurityKey(user, authenticator, 'Blue key');
    return { user, authenticator, key };
  }

  describe('enrolment', () => {
    it('enrols a named key for the portal’s RP ID, lists it, and audits the enrolment', async () => {
      const user = await registerUser(api, 'doctor');
      const options = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: '  Blue key  ' } });
      expect(options.status).toBe(200);
      expect(options.body.options).toMatchObject({
        rp: { id: 'localhost' },
        user: { name: user.request.email },
        attestation: 'none',
        excludeCredentials: [],
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }],
      });
      const authenticator = new SoftAuthenticator();
      const added = await user.client.send(ROUTES.addSecurityKey, {
        token: user.token,
        body: { challengeToken: options.body.challengeToken, credential: authenticator.create(options.body.options) },
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ name: 'Blue key', lastUsedAt: null });
      expect(await keysOf(user)).toEqual([added.body]);
      const rows = await api.adminQuery<{ user_id: string; sign_count: string }>('SELECT user_id, sign_count FROM security_keys WHERE id = $1', [added.body.id]);
      expect(rows).toEqual([{ user_id: user.userId, sign_count: '0' }]);
      expect(await auditTrailOf(api, user.userId)).toContain('account.security-key-add:allow');
      // The next enrolment excludes the key already there.
      const next = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: 'Spare' } });
      expect(next.body.options.excludeCredentials.map((descriptor) => descriptor.id)).toHaveLength(1);
    });

    it('issues challenges of 256 random bits, never the same twice, for enrolment and for sign-in', async () => {
      const { user } = await patientWithKey();
      const challenges: string[] = [];
      for (let round = 0; round < 8; round += 1) {
        const enrolment = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: `Key ${round}` } });
        challenges.push(enrolment.body.options.challenge);
        const login = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
        if (!('options' in login.body)) throw new Error('no second factor asked');
        challenges.push(login.body.options.challenge);
      }
      for (const challenge of challenges) expect(Buffer.from(challenge, 'base64url')).toHaveLength(32);
      expect(new Set(challenges).size).toBe(challenges.length);
    });

    it('refuses a credential made for another challenge, origin or RP ID with 400 naming the credential, audited, and stores nothing', async () => {
      const user = await registerUser(api);
      const authenticator = new SoftAuthenticator();
      for (const bend of [{ challenge: randomKey() }, { origin: 'https://phish.example' }, { rpId: 'phish.example' }]) {
        const options = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: 'Key' } });
        const response = await user.client.send(ROUTES.addSecurityKey, {
          token: user.token,
          body: { challengeToken: options.body.challengeToken, credential: authenticator.create(options.body.options, bend) },
        });
        expect(response.status).toBe(400);
        expect(response.error?.fields).toEqual([expect.objectContaining({ field: 'credential' })]);
      }
      expect(await keysOf(user)).toEqual([]);
      expect((await auditTrailOf(api, user.userId)).filter((entry) => entry === 'account.security-key-add:deny')).toHaveLength(3);
    });

    it('refuses an RS256 key (RSASSA-PKCS#1 v1.5, ASVS 5.0 11.6.1) with 400 naming the credential, and stores nothing', async () => {
      const user = await registerUser(api);
      const options = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: 'Platform key' } });
      const response = await user.client.send(ROUTES.addSecurityKey, {
        token: user.token,
        body: { challengeToken: options.body.challengeToken, credential: new SoftAuthenticator().create(options.body.options, { rs256: true }) },
      });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([expect.objectContaining({ field: 'credential' })]);
      expect(await keysOf(user)).toEqual([]);
    });

    it('spends an enrolment challenge once, refused or not, and never accepts another account’s', async () => {
      const user = await registerUser(api);
      const other = await registerUser(api);
      const authenticator = new SoftAuthenticator();
      const options = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: 'Key' } });
      const credential = authenticator.create(options.body.options);
      const byOther = await other.client.send(ROUTES.addSecurityKey, { token: other.token, body: { challengeToken: options.body.challengeToken, credential } });
      expect(byOther.status).toBe(400);
      expect(byOther.error?.fields).toEqual([expect.objectContaining({ field: 'challengeToken' })]);
      expect((await user.client.send(ROUTES.addSecurityKey, { token: user.token, body: { challengeToken: options.body.challengeToken, credential } })).status).toBe(201);
      const again = await user.client.send(ROUTES.addSecurityKey, { token: user.token, body: { challengeToken: options.body.challengeToken, credential } });
      expect(again.status).toBe(400);
      expect(again.error?.fields).toEqual([expect.objectContaining({ field: 'challengeToken' })]);
      expect(await keysOf(other)).toEqual([]);
    });

    it('refuses an expired enrolment challenge', async () => {
      const user = await registerUser(api);
      const options = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: 'Key' } });
      await api.adminQuery(`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.userId]);
      const response = await user.client.send(ROUTES.addSecurityKey, {
        token: user.token,
        body: { challengeToken: options.body.challengeToken, credential: new SoftAuthenticator().create(options.body.options) },
      });
      expect(response.status).toBe(400);
      expect(await keysOf(user)).toEqual([]);
    });

    it('answers a blank or multi-line name, and malformed credentials, with 400 naming the field', async () => {
      const user = await registerUser(api);
      for (const name of ['   ', 'a\nb', 'x'.repeat(65)]) {
        const response = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name } });
        expect(response.status).toBe(400);
        expect(response.error?.fields?.[0].field).toBe('name');
      }
      const options = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name: 'Key' } });
      const credential = new SoftAuthenticator().create(options.body.options);
      const cases: Array<[unknown, string]> = [
        [{ ...credential, type: 'password' }, 'credential.type'],
        [{ ...credential, response: { ...credential.response, attestationObject: 'not base64url!' } }, 'credential.response.attestationObject'],
        [{ ...credential, response: { ...credential.response, transports: ['carrier-pigeon'] } }, 'credential.response.transports'],
        [{ ...credential, response: undefined }, 'credential.response'],
      ];
      for (const [bad, field] of cases) {
        const response = await user.client.unchecked().send(ROUTES.addSecurityKey, { token: user.token, body: { challengeToken: options.body.challengeToken, credential: bad } });
        expect(response.status).toBe(400);
        expect(response.error?.fields?.[0].field).toBe(field);
      }
      // Validation comes first: the challenge was not spent by the malformed attempts.
      expect((await user.client.send(ROUTES.addSecurityKey, { token: user.token, body: { challengeToken: options.body.challengeToken, credential } })).status).toBe(201);
    });
  });

  describe('sign-in', () => {
    it('signs in an account without a key with the password alone, exactly as before', async () => {
      const user = await registerUser(api);
      const response = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(response.status).toBe(200);
      expect(response.body).toHaveProperty('accessToken');
      expect(response.body).not.toHaveProperty('secondFactor');
    });

    it('issues no session for the password of an account with a key: the key’s assertion is needed, then the session comes', async () => {
      const { user, authenticator, key } = await patientWithKey();
      const http = testClient(api.baseUrl);
      const first = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(first.status).toBe(200);
      expect(first.body).not.toHaveProperty('accessToken');
      expect(first.body).not.toHaveProperty('keys');
      expect(first.headers.getSetCookie()).toEqual([]);
      expect(http.cookies.size).toBe(0);
      if (!('options' in first.body)) throw new Error('no second factor asked');
      expect(first.body.options).toMatchObject({ rpId: 'localhost', allowCredentials: [{ type: 'public-key', transports: ['usb'] }] });

      const second = await answer(http, first.body.challengeToken, authenticator.get(first.body.options));
      expect(second.status).toBe(200);
      expect(second.body.user.id).toBe(user.userId);
      // The refresh token, and the device token: this browser is now a known device of the account.
      expect(http.cookies.size).toBe(2);
      expect((await http.send(ROUTES.me, { token: second.body.accessToken })).status).toBe(200);
      const [listed] = await keysOf(user);
      expect(listed.id).toBe(key.id);
      expect(listed.lastUsedAt).not.toBeNull();
      expect((await auditTrailOf(api, user.userId)).slice(-2)).toEqual(['session.security-key:allow', 'session.login:allow']);
    });

    it('refuses a wrong signature, and the refused challenge is spent: the right answer to it then fails too', async () => {
      const { user, authenticator } = await patientWithKey();
      const http = testClient(api.baseUrl);
      const challenge = await passwordStep(http, user);
      const forged = authenticator.get(challenge.options, { signWith: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
      const refused = await answer(http, challenge.challengeToken, forged);
      expect(refused.status).toBe(401);
      expect(refused.error?.code).toBe('INVALID_CREDENTIALS');
      expect(http.cookies.size).toBe(0);
      expect((await answer(http, challenge.challengeToken, authenticator.get(challenge.options))).status).toBe(401);
      const denials = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.security-key' && row.outcome === 'deny');
      expect(denials).toHaveLength(1);
      expect(denials[0].reason).toMatch(/assertion/);
    });

    it('refuses a replayed challenge token after a successful sign-in', async () => {
      const { user, authenticator } = await patientWithKey();
      const http = testClient(api.baseUrl);
      const challenge = await passwordStep(http, user);
      expect((await answer(http, challenge.challengeToken, authenticator.get(challenge.options))).status).toBe(200);
      const replay = await answer(testClient(api.baseUrl), challenge.challengeToken, authenticator.get(challenge.options));
      expect(replay.status).toBe(401);
      expect(replay.headers.getSetCookie()).toEqual([]);
    });

    it('refuses an assertion that signs an old challenge under a new token', async () => {
      const { user, authenticator } = await patientWithKey();
      const http = testClient(api.baseUrl);
      const old = await passwordStep(http, user);
      const fresh = await passwordStep(http, user);
      expect((await answer(http, fresh.challengeToken, authenticator.get(fresh.options, { challenge: old.options.challenge }))).status).toBe(401);
    });

    it('refuses an expired challenge, and audits why', async () => {
      const { user, authenticator } = await patientWithKey();
      const http = testClient(api.baseUrl);
      const challenge = await passwordStep(http, user);
      await api.adminQuery(`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.userId]);
      expect((await answer(http, challenge.challengeToken, authenticator.get(challenge.options))).status).toBe(401);
      const [denial] = (await auditRowsOf(api, user.userId)).filter((row) => row.action === 'session.security-key');
      expect(denial).toMatchObject({ outcome: 'deny', reason: 'challenge expired' });
    });

    it('refuses another account’s key, even when its signature is sound', async () => {
      const alice = await patientWithKey();
      const bob = await patientWithKey();
      const http = testClient(api.baseUrl);
      const challenge = await passwordStep(http, bob.user);
      const [aliceKeyId] = (await api.adminQuery<{ credential_id: string }>('SELECT credential_id FROM security_keys WHERE user_id = $1', [alice.user.userId])).map(
        (row) => row.credential_id,
      );
      const withAlicesKey = alice.authenticator.get({ ...challenge.options, allowCredentials: [{ type: 'public-key', id: aliceKeyId }] });
      expect((await answer(http, challenge.challengeToken, withAlicesKey)).status).toBe(401);
      expect(http.cookies.size).toBe(0);
    });

    it('refuses an assertion made for another origin or RP ID', async () => {
      const { user, authenticator } = await patientWithKey();
      const http = testClient(api.baseUrl);
      for (const bend of [{ origin: 'https://phish.example' }, { rpId: 'phish.example' }]) {
        const challenge = await passwordStep(http, user);
        expect((await answer(http, challenge.challengeToken, authenticator.get(challenge.options, bend))).status).toBe(401);
      }
    });

    it('refuses a signature counter that does not move forward (a cloned key)', async () => {
      const { user, authenticator } = await patientWithKey();
      expect((await signInWithSecurityKey(api.baseUrl, user, authenticator)).status).toBe(200);
      expect((await signInWithSecurityKey(api.baseUrl, user, authenticator)).status).toBe(200);
      const http = testClient(api.baseUrl);
      const challenge = await passwordStep(http, user);
      expect((await answer(http, challenge.challengeToken, authenticator.get(challenge.options, { signCount: 2 }))).status).toBe(401);
      const [row] = await api.adminQuery<{ sign_count: string }>('SELECT sign_count FROM security_keys WHERE user_id = $1', [user.userId]);
      expect(row.sign_count).toBe('2');
    });

    it('counts refused assertions as failed sign-ins: the password cannot reset the count, so a proof of work becomes due; the key still passes', async () => {
      const { user, authenticator } = await patientWithKey();
      const http = testClient(api.baseUrl);
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      for (let attempt = 0; attempt < 3; attempt++) {
        const challenge = await passwordStep(http, user);
        expect((await answer(http, challenge.challengeToken, authenticator.get(challenge.options, { signWith: otherKey }))).status).toBe(401);
      }
      const owed = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(owed.status).toBe(429);
      expect(owed.error?.code).toBe('PROOF_OF_WORK_REQUIRED');
      const trail = await auditTrailOf(api, user.userId);
      expect(trail.filter((entry) => entry === 'session.security-key:deny')).toHaveLength(3);

      const proofOfWork = await proofFor(http, user.request.email, 'login');
      const challenge = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey, proofOfWork } });
      if (!('options' in challenge.body)) throw new Error(`expected the key's challenge: ${challenge.status} ${challenge.text}`);
      expect((await answer(http, challenge.body.challengeToken, authenticator.get(challenge.body.options))).status).toBe(200);
    });

    it('answers an unknown challenge token with 401 and malformed bodies with 400 naming the field', async () => {
      const http = testClient(api.baseUrl);
      const { user, authenticator } = await patientWithKey();
      const challenge = await passwordStep(http, user);
      const credential = authenticator.get(challenge.options);
      expect((await answer(http, randomKey(), credential)).status).toBe(401);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ credential }, 'challengeToken'],
        [{ challengeToken: 'short', credential }, 'challengeToken'],
        [{ challengeToken: challenge.challengeToken }, 'credential'],
        [{ challengeToken: challenge.challengeToken, credential: { ...credential, response: { ...credential.response, signature: '' } } }, 'credential.response.signature'],
        [{ challengeToken: challenge.challengeToken, credential: { ...credential, id: 'x' } }, 'credential.id'],
      ];
      for (const [body, field] of cases) {
        const response = await http.unchecked().send(ROUTES.loginWebAuthn, { body });
        expect(response.status).toBe(400);
        expect(response.error?.fields?.[0].field).toBe(field);
      }
      // None of that spent the challenge.
      expect((await answer(http, challenge.challengeToken, credential)).status).toBe(200);
    });
  });

  describe('recovery', () => {
    it('lets the recovery code (a second high-entropy secret) in without the key, so a lost key can then be removed', async () => {
      const { user, key } = await patientWithKey();
      const newAuthKey = randomKey();
      const http = testClient(api.baseUrl);
      const reset = await http.send(ROUTES.recoveryReset, {
        body: {
          email: user.request.email,
          recoveryAuthKey: user.request.recovery.recoveryAuthKey,
          newAuthKey,
          newKdf: { ...user.request.kdf, salt: randomKey(16) },
          newWrappedAccountKey: sealedBlob(),
          newRecovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: sealedBlob() },
        },
      });
      expect(reset.status).toBe(200);
      // The key stays enrolled: the new password alone still gets only the key's challenge.
      const login = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: newAuthKey } });
      expect(login.body).toHaveProperty('secondFactor');
      const removed = await http.send(ROUTES.removeSecurityKey, { params: { id: key.id }, token: reset.body.accessToken, body: { currentAuthKey: newAuthKey } });
      expect(removed.status).toBe(204);
    });
  });

  describe('removal', () => {
    it('needs the current password: a wrong one is 403, audited, and the key stays', async () => {
      const { user, key } = await patientWithKey();
      const response = await user.client.send(ROUTES.removeSecurityKey, { params: { id: key.id }, token: user.token, body: { currentAuthKey: randomKey() } });
      expect(response.status).toBe(403);
      expect(await keysOf(user)).toHaveLength(1);
      expect(await auditTrailOf(api, user.userId)).toContain('account.security-key-remove:deny');
    });

    it('removes the key with the current password; sign-in is then the password alone again', async () => {
      const { user, key } = await patientWithKey();
      const response = await user.client.send(ROUTES.removeSecurityKey, { params: { id: key.id }, token: user.token, body: { currentAuthKey: user.request.authKey } });
      expect(response.status).toBe(204);
      expect(await keysOf(user)).toEqual([]);
      expect(await auditTrailOf(api, user.userId)).toContain('account.security-key-remove:allow');
      const login = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      expect(login.body).toHaveProperty('accessToken');
    });

    it('answers another account’s key id with the same 404 as an unknown id, and leaves it', async () => {
      const alice = await patientWithKey();
      const bob = await registerUser(api);
      const remove = (id: string) => bob.client.send(ROUTES.removeSecurityKey, { params: { id }, token: bob.token, body: { currentAuthKey: bob.request.authKey } });
      const theirs = await remove(alice.key.id);
      const unknown = await remove('00000000-0000-4000-8000-000000000000');
      expect(theirs.status).toBe(404);
      expect({ ...theirs.error, requestId: '' }).toEqual({ ...unknown.error, requestId: '' });
      expect(await keysOf(alice.user)).toHaveLength(1);
    });
  });
});
