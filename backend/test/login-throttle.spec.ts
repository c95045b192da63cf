import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AUDIT_SYSTEM_SUBJECT,
  ROUTES,
  type LoginResponse,
  type ProofOfWorkSolution,
  type SecurityKeyChallenge,
  type SessionResponse,
} from '@phr/shared-types';
import { ProofOfWork } from '../src/auth/sign-in/proof-of-work.service.js';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { randomKey, registerUser, sealedBlob, uniqueEmail, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient, type RouteResult } from './support/http.js';
import { challengeFor, nonceShortOf, proofFor, solve } from './support/proof-of-work.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { SoftAuthenticator, enrolSecurityKey } from './support/webauthn.js';

/** Every attempt can come from an address of its own (the API trusts X-Forwarded-For here, as behind the TLS proxy). */
let addresses = 0;
const freshIp = () => {
  addresses += 1;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
};
const from = (ip: string) => ({ 'x-forwarded-for': ip });

/** Small numbers, so that a test reaches the cap in a few attempts and solves it at once. */
const FREE_FAILURES = 3;
const MIN_BITS = 8;
const MAX_BITS = 12;

describe('failed sign-ins slow guessing down and never lock the owner out (ASVS 5.0 6.1.1)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({
      LOGIN_FREE_FAILURES: String(FREE_FAILURES),
      LOGIN_POW_MIN_BITS: String(MIN_BITS),
      LOGIN_POW_MAX_BITS: String(MAX_BITS),
      REAUTH_DELAY_SECONDS: '30',
      TRUST_PROXY: 'true',
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  const client = () => testClient(api.baseUrl);

  const login = (http: TestClient, email: string, authKey: string, ip: string, proofOfWork?: ProofOfWorkSolution) =>
    http.send(ROUTES.login, { body: { email, authKey, proofOfWork }, headers: from(ip) });

  /** What the portal does: ask what work is due, do it, then send the key with the proof. */
  async function signInWithWork(http: TestClient, email: string, authKey: string, ip: string): Promise<RouteResult<LoginResponse>> {
    return login(http, email, authKey, ip, await proofFor(http, email, 'login', from(ip)));
  }

  /** An attacker who knows only the email: wrong keys, each from an address of its own, with no proof of work. */
  async function attack(email: string, attempts: number, ip: () => string = freshIp): Promise<number[]> {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < attempts; attempt++) statuses.push((await login(client(), email, randomKey(), ip())).status);
    return statuses;
  }

  const expectProofRequired = (response: RouteResult<unknown>) => {
    expect(response.status).toBe(429);
    expect(response.error?.code).toBe('PROOF_OF_WORK_REQUIRED');
    expect(response.headers.get('retry-after')).toBe('0');
  };

  const reasonsOf = async (subjectId: string, action: string) =>
    (await auditRowsOf(api, subjectId)).filter((row) => row.action === action).map((row) => `${row.outcome}: ${row.reason}`);

  describe('the owner is never kept out', () => {
    it('lets the owner in at once on a device that signed in before, while an attacker with the email fails from many addresses', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      const statuses = await attack(email, 20);
      expect(statuses.slice(0, FREE_FAILURES)).toEqual([401, 401, 401]);
      expect(new Set(statuses.slice(FREE_FAILURES))).toEqual(new Set([429]));
      // Strangers now owe the most work there is; the browser that registered owes none.
      expect((await challengeFor(client(), email, 'login', from(freshIp()))).difficulty).toBe(MAX_BITS);
      expect((await challengeFor(owner.client, email, 'login', from(freshIp()))).difficulty).toBe(0);

      const signedIn = await login(owner.client, email, owner.request.authKey, freshIp());
      expect(signedIn.status).toBe(200);
      const signIns = await reasonsOf(owner.userId, 'session.login');
      expect(signIns.slice(0, FREE_FAILURES)).toEqual(Array(FREE_FAILURES).fill('deny: wrong credentials'));
      for (const reason of signIns.slice(FREE_FAILURES, -1)) expect(reason).toMatch(/^deny: proof of work missing: \d+ bits demanded for login \(\d+ failures on the account, 0 from this client\)$/);
      expect(signIns).toHaveLength(21);
      expect(signIns.at(-1)).toBe('allow: known device');
    });

    it('lets the owner in on a new device after one proof of work, from another address and from the attacker’s own, and knows that device from then on', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      const attackerIp = freshIp();
      await attack(email, 12, () => attackerIp);
      for (const ip of [freshIp(), attackerIp]) {
        const laptop = client();
        expectProofRequired(await login(laptop, email, owner.request.authKey, ip));
        const challenge = await challengeFor(laptop, email, 'login', from(ip));
        expect(challenge.difficulty).toBe(MAX_BITS);
        const signedIn = await login(laptop, email, owner.request.authKey, ip, solve(challenge.challenge, challenge.difficulty));
        expect(signedIn.status).toBe(200);
        expect((signedIn.body as SessionResponse).user.id).toBe(owner.userId);

        // The attack goes on, from the same address too; the laptop is a known device now and owes nothing.
        await attack(email, 5, () => attackerIp);
        expect((await challengeFor(laptop, email, 'login', from(ip))).difficulty).toBe(0);
        expect((await login(laptop, email, owner.request.authKey, ip)).status).toBe(200);
      }
      const signIns = await reasonsOf(owner.userId, 'session.login');
      expect(signIns.filter((reason) => reason.startsWith('allow'))).toEqual(['allow: new device', 'allow: known device', 'allow: new device', 'allow: known device']);
    });

    it('passes the right password with a valid security-key assertion while an attack goes on, on a known device and on a new one', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      const authenticator = new SoftAuthenticator();
      await enrolSecurityKey(owner, authenticator);
      await attack(email, 10);
      const finish = async (http: TestClient, answer: RouteResult<LoginResponse>) => {
        expect(answer.status).toBe(200);
        const challenge = answer.body as SecurityKeyChallenge;
        return http.send(ROUTES.loginWebAuthn, {
          body: { challengeToken: challenge.challengeToken, credential: authenticator.get(challenge.options) },
        });
      };

      const knownDevice = await finish(owner.client, await login(owner.client, email, owner.request.authKey, freshIp()));
      expect(knownDevice.status).toBe(200);
      const phone = client();
      const phoneIp = freshIp();
      expectProofRequired(await login(phone, email, owner.request.authKey, phoneIp));
      const newDevice = await finish(phone, await signInWithWork(phone, email, owner.request.authKey, phoneIp));
      expect(newDevice.status).toBe(200);

      // Someone who has the password but not the key: each refused assertion counts, and none of it stops the owner's key.
      const notTheKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      for (let attempt = 0; attempt < 4; attempt++) {
        const thief = client();
        const challenge = (await signInWithWork(thief, email, owner.request.authKey, freshIp())).body as SecurityKeyChallenge;
        const refused = await thief.send(ROUTES.loginWebAuthn, {
          body: { challengeToken: challenge.challengeToken, credential: authenticator.get(challenge.options, { signWith: notTheKey }) },
        });
        expect(refused.status).toBe(401);
      }
      const laptop = client();
      const laptopIp = freshIp();
      expect((await finish(laptop, await signInWithWork(laptop, email, owner.request.authKey, laptopIp))).status).toBe(200);
      expect((await auditTrailOf(api, owner.userId)).filter((entry) => entry === 'session.security-key:deny')).toHaveLength(4);
    });
  });

  describe('the attacker cannot guess faster than one guess per proof', () => {
    it('demands no work for the first failures, then one more bit for each further failure, up to the cap, and audits each demand', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      const stranger = client();
      const demanded: number[] = [];
      for (let attempt = 0; attempt < 9; attempt++) {
        const ip = freshIp();
        const challenge = await challengeFor(stranger, email, 'login', from(ip));
        demanded.push(challenge.difficulty);
        const proof = challenge.difficulty > 0 ? solve(challenge.challenge, challenge.difficulty) : undefined;
        expect((await login(stranger, email, randomKey(), ip, proof)).status).toBe(401);
      }
      expect(demanded).toEqual([0, 0, 0, 8, 9, 10, 11, 12, 12]);
      expect(await reasonsOf(owner.userId, 'session.proof-of-work')).toEqual([
        'deny: 8 bits demanded for login (3 failures on the account, 0 from this client)',
        'deny: 9 bits demanded for login (4 failures on the account, 0 from this client)',
        'deny: 10 bits demanded for login (5 failures on the account, 0 from this client)',
        'deny: 11 bits demanded for login (6 failures on the account, 0 from this client)',
        'deny: 12 bits demanded for login (7 failures on the account, 0 from this client)',
        'deny: 12 bits demanded for login (8 failures on the account, 0 from this client)',
      ]);
    });

    it('refuses, counts and audits an attempt whose proof is missing, forged, expired, for another email or purpose, short of the work, or used before', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      await attack(email, FREE_FAILURES);
      const stranger = client();
      const ip = freshIp();
      const fresh = () => challengeFor(stranger, email, 'login', from(ip));
      const withWork = async () => {
        const challenge = await fresh();
        return solve(challenge.challenge, challenge.difficulty);
      };
      const forge = (proof: ProofOfWorkSolution): ProofOfWorkSolution => {
        // One character of the signed part changed (it encodes the stated difficulty): the signature no longer holds.
        const at = 3;
        const changed = proof.challenge[at] === 'A' ? 'B' : 'A';
        return { ...proof, challenge: `${proof.challenge.slice(0, at)}${changed}${proof.challenge.slice(at + 1)}` };
      };
      const expired = () => {
        const challenge = api.app.get(ProofOfWork).issue(email, 'login', MAX_BITS, Date.now() - 3600_000);
        return solve(challenge.challenge, MAX_BITS);
      };
      const forOtherEmail = async () => {
        const challenge = await challengeFor(stranger, uniqueEmail('other'), 'login', from(ip));
        return solve(challenge.challenge, MAX_BITS);
      };
      const forRecovery = async () => {
        const challenge = await challengeFor(stranger, email, 'recovery', from(ip));
        return solve(challenge.challenge, MAX_BITS);
      };
      const shortOfWork = async () => {
        const challenge = await fresh();
        return nonceShortOf(challenge.challenge, challenge.difficulty);
      };
      const cases: Array<[string, () => Promise<ProofOfWorkSolution | undefined> | ProofOfWorkSolution | undefined]> = [
        ['missing', () => undefined],
        ['not issued by this service', async () => forge(await withWork())],
        ['expired', expired],
        ['for another email', forOtherEmail],
        ['for another purpose', forRecovery],
        ['too little work', shortOfWork],
      ];
      for (const [, proofOf] of cases) expectProofRequired(await login(stranger, email, owner.request.authKey, ip, await proofOf()));

      // Used before: a wrong key with a good proof is one guess; the same proof then carries nothing, not even the right key.
      const proof = await withWork();
      expect((await login(stranger, email, randomKey(), ip, proof)).status).toBe(401);
      expectProofRequired(await login(stranger, email, owner.request.authKey, ip, proof));

      const refusals = (await reasonsOf(owner.userId, 'session.login')).slice(FREE_FAILURES);
      expect(refusals).toEqual([
        'deny: proof of work missing: 8 bits demanded for login (3 failures on the account, 0 from this client)',
        'deny: proof of work not issued by this service: 9 bits demanded for login (4 failures on the account, 1 from this client)',
        'deny: proof of work expired: 10 bits demanded for login (5 failures on the account, 2 from this client)',
        'deny: proof of work for another email: 11 bits demanded for login (6 failures on the account, 3 from this client)',
        'deny: proof of work for another purpose: 12 bits demanded for login (7 failures on the account, 4 from this client)',
        expect.stringMatching(/^deny: proof of work too little work \(\d+ of 12 bits\): 12 bits demanded for login \(8 failures on the account, 5 from this client\)$/),
        'deny: wrong credentials',
        'deny: proof of work already used: 12 bits demanded for login (10 failures on the account, 7 from this client)',
      ]);
      // The right key, with a proof of its own, still passes.
      expect((await login(stranger, email, owner.request.authKey, ip, await withWork())).status).toBe(200);
    });

    it('checks one guess per proof: the same proof sent ten times at once lets exactly one guess through', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      await attack(email, FREE_FAILURES);
      const proof = await proofFor(client(), email, 'login', from(freshIp()));
      expect(proof).toBeDefined();
      const answers = await Promise.all(Array.from({ length: 10 }, () => login(client(), email, randomKey(), freshIp(), proof)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([401, 429, 429, 429, 429, 429, 429, 429, 429, 429]);
    });

    it('counts and answers an unknown email exactly as a known one, so neither the answers nor the demands tell who has an account', async () => {
      const owner = await registerUser(api);
      const ghost = uniqueEmail('ghost');
      const before = (await auditRowsOf(api, AUDIT_SYSTEM_SUBJECT)).length;
      const run = async (email: string) => {
        const seen: string[] = [];
        for (let attempt = 0; attempt < 5; attempt++) {
          const ip = freshIp();
          const challenge = await challengeFor(client(), email, 'login', from(ip));
          const proof = challenge.difficulty > 0 ? solve(challenge.challenge, challenge.difficulty) : undefined;
          const answer = await login(client(), email, randomKey(), ip, proof);
          seen.push(`${challenge.difficulty}:${answer.status}:${answer.error?.code}`);
        }
        return seen;
      };
      const known = await run(owner.request.email);
      expect(await run(ghost)).toEqual(known);
      expect(known).toEqual(['0:401:INVALID_CREDENTIALS', '0:401:INVALID_CREDENTIALS', '0:401:INVALID_CREDENTIALS', '8:401:INVALID_CREDENTIALS', '9:401:INVALID_CREDENTIALS']);
      const rows = (await auditRowsOf(api, AUDIT_SYSTEM_SUBJECT)).slice(before);
      expect(rows.map((row) => `${row.action}:${row.outcome}:${row.reason}`)).toEqual([
        'session.login:deny:unknown account',
        'session.login:deny:unknown account',
        'session.login:deny:unknown account',
        'session.proof-of-work:deny:8 bits demanded for login (3 failures on the account, 0 from this client)',
        'session.login:deny:unknown account',
        'session.proof-of-work:deny:9 bits demanded for login (4 failures on the account, 0 from this client)',
        'session.login:deny:unknown account',
      ]);
    });
  });

  describe('recovery codes', () => {
    const recoveryKeys = (http: TestClient, user: RegisteredUser, recoveryAuthKey: string, ip: string, proofOfWork?: ProofOfWorkSolution) =>
      http.send(ROUTES.recoveryKeys, { body: { email: user.request.email, recoveryAuthKey, proofOfWork }, headers: from(ip) });

    it('guards the recovery code the same way: guessing needs work, and the owner recovers from a new device with one proof', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 8; attempt++) statuses.push((await recoveryKeys(client(), owner, randomKey(), freshIp())).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
      // Sign-in has counters of its own: the recovery guesses demand nothing of a new browser that signs in.
      expect((await challengeFor(client(), email, 'login', from(freshIp()))).difficulty).toBe(0);

      const phone = client();
      const ip = freshIp();
      expectProofRequired(await recoveryKeys(phone, owner, owner.request.recovery.recoveryAuthKey, ip));
      const proof = await proofFor(phone, email, 'recovery', from(ip));
      expect(proof).toBeDefined();
      expect((await recoveryKeys(phone, owner, owner.request.recovery.recoveryAuthKey, ip, proof)).status).toBe(200);
      // The code proved the account from this phone: the reset that follows needs no second proof.
      expect((await challengeFor(phone, email, 'recovery', from(ip))).difficulty).toBe(0);
      const reset = await phone.send(ROUTES.recoveryReset, {
        headers: from(ip),
        body: {
          email,
          recoveryAuthKey: owner.request.recovery.recoveryAuthKey,
          newAuthKey: randomKey(),
          newKdf: owner.request.kdf,
          newWrappedAccountKey: sealedBlob(),
          newRecovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: sealedBlob() },
        },
      });
      expect(reset.status).toBe(200);
      const trail = await auditTrailOf(api, owner.userId);
      expect(trail.filter((entry) => entry === 'account.recovery-keys:deny')).toHaveLength(9);
      expect(trail.slice(-2)).toEqual(['account.recovery-keys:allow', 'account.recovery:allow']);
    });
  });

  describe('known devices', () => {
    const sessionIdOf = async (session: SessionResponse, http: TestClient) =>
      (await http.send(ROUTES.listSessions, { token: session.accessToken })).body.items.find((item) => item.isCurrent)?.id;

    it('forgets the device of a session ended from the list, and every other device when the password changes', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      const [tablet, laptop] = [client(), client()];
      const tabletSession = (await login(tablet, email, owner.request.authKey, freshIp())).body as SessionResponse;
      expect((await login(laptop, email, owner.request.authKey, freshIp())).status).toBe(200);
      await attack(email, 10);
      const owed = async (http: TestClient) => (await challengeFor(http, email, 'login', from(freshIp()))).difficulty;
      expect([await owed(owner.client), await owed(tablet), await owed(laptop)]).toEqual([0, 0, 0]);

      const tabletSessionId = await sessionIdOf(tabletSession, tablet);
      expect((await owner.client.send(ROUTES.revokeSession, { params: { id: tabletSessionId ?? '' }, token: owner.token })).status).toBe(204);
      expect([await owed(owner.client), await owed(tablet), await owed(laptop)]).toEqual([0, MAX_BITS, 0]);

      const change = await owner.client.send(ROUTES.changePassword, {
        token: owner.token,
        body: { currentAuthKey: owner.request.authKey, newAuthKey: randomKey(), newKdf: owner.request.kdf, newWrappedAccountKey: sealedBlob() },
      });
      expect(change.status).toBe(204);
      expect([await owed(owner.client), await owed(tablet), await owed(laptop)]).toEqual([0, MAX_BITS, MAX_BITS]);
    });

    it('counts a known device’s own failures against it: past the free ones it owes work too', async () => {
      const owner = await registerUser(api);
      const email = owner.request.email;
      for (let attempt = 0; attempt < FREE_FAILURES; attempt++) expect((await login(owner.client, email, randomKey(), freshIp())).status).toBe(401);
      expectProofRequired(await login(owner.client, email, owner.request.authKey, freshIp()));
      expect((await signInWithWork(owner.client, email, owner.request.authKey, freshIp())).status).toBe(200);
      // Its count started again with that sign-in.
      expect((await challengeFor(owner.client, email, 'login', from(freshIp()))).difficulty).toBe(0);
    });
  });

  describe('re-authentication for a grave step', () => {
    const changePassword = (session: { client: TestClient; token: string }, currentAuthKey: string, user: RegisteredUser) =>
      session.client.send(ROUTES.changePassword, {
        token: session.token,
        body: { currentAuthKey, newAuthKey: randomKey(), newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
      });

    it('holds back only the session that got the current password wrong, with a wait that doubles; other sessions and sign-in go on', async () => {
      const owner = await registerUser(api);
      const otherBrowser = client();
      const other = { client: otherBrowser, token: ((await login(otherBrowser, owner.request.email, owner.request.authKey, freshIp())).body as SessionResponse).accessToken };
      const first = { client: owner.client, token: owner.token };
      for (let attempt = 0; attempt < FREE_FAILURES; attempt++) expect((await changePassword(first, randomKey(), owner)).status).toBe(403);
      const held = await changePassword(first, owner.request.authKey, owner);
      expect(held.status).toBe(429);
      expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(25);
      expect(Number(held.headers.get('retry-after'))).toBeLessThanOrEqual(30);

      // The wait ends; one more wrong password doubles it.
      await api.adminQuery(`UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE key LIKE 'reauth:%' AND locked_until IS NOT NULL`);
      expect((await changePassword(first, randomKey(), owner)).status).toBe(403);
      expect(Number((await changePassword(first, owner.request.authKey, owner)).headers.get('retry-after'))).toBeGreaterThan(55);

      // Sign-in owes nothing for this, and the other session proves the password at once.
      expect((await challengeFor(client(), owner.request.email, 'login', from(freshIp()))).difficulty).toBe(0);
      expect((await changePassword(other, owner.request.authKey, owner)).status).toBe(204);
      expect(await reasonsOf(owner.userId, 'session.lockout')).toEqual([
        'deny: re-authentication in this session held back for 30 s',
        'deny: re-authentication in this session held back for 60 s',
      ]);
    });
  });
});
