import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { REFRESH_COOKIE_NAME, ROUTES } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { firstBrokenRow } from './support/audit-chain.js';
import { randomKey, registerUser, sealedBlob } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { ageRefreshUse } from './support/tokens.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('audit trail of accounts and sessions (DESIGN 7)', () => {
  let api: TestApp;
  let http: TestClient;

  beforeAll(async () => {
    api = await startTestApp();
    http = testClient(api.baseUrl);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('records each step of an account’s life, with actor, IP, user agent and request id', async () => {
    const user = await registerUser(api);
    await http.send(ROUTES.login, { body: { email: user.request.email, authKey: randomKey() }, headers: { 'user-agent': 'audit-test/1.0' } });
    const login = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    await user.client.send(ROUTES.refresh);
    const newAuthKey = randomKey();
    await user.client.send(ROUTES.changePassword, {
      token: user.token,
      body: { currentAuthKey: user.request.authKey, newAuthKey, newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
    });
    await http.send(ROUTES.recoveryKeys, { body: { email: user.request.email, recoveryAuthKey: user.request.recovery.recoveryAuthKey } });
    await http.send(ROUTES.recoveryReset, {
      body: {
        email: user.request.email,
        recoveryAuthKey: user.request.recovery.recoveryAuthKey,
        newAuthKey: randomKey(),
        newKdf: user.request.kdf,
        newWrappedAccountKey: sealedBlob(),
        newRecovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: sealedBlob() },
      },
    });
    await user.client.send(ROUTES.logout);

    expect(await auditTrailOf(api, user.userId)).toEqual([
      'account.register:allow',
      'session.login:deny',
      'session.login:allow',
      'session.refresh:allow',
      'account.password-change:allow',
      'account.recovery-keys:allow',
      'account.recovery:allow',
      // The recovery ended every session, so this logout names none and records nothing.
    ]);
    const rows = await auditRowsOf(api, user.userId);
    expect(rows[0]).toMatchObject({ actor_id: user.userId, actor_role: 'patient', outcome: 'allow', ip: '127.0.0.1' });
    expect(rows[1]).toMatchObject({ actor_id: null, reason: 'wrong credentials', user_agent: 'audit-test/1.0' });
    expect(rows[2].request_id).toBe(login.headers.get('x-request-id'));
  });

  it('records a sign-out and the reuse of a refresh token', async () => {
    const user = await registerUser(api);
    const old = user.client.cookies.get(REFRESH_COOKIE_NAME) as string;
    expect((await user.client.send(ROUTES.refresh)).status).toBe(200);
    await ageRefreshUse(api, user.userId);
    const thief = testClient(api.baseUrl);
    thief.cookies.set(REFRESH_COOKIE_NAME, old);
    // Each answer first: a refusal for another reason (429, 503) files no reuse row.
    expect((await thief.send(ROUTES.refresh)).status).toBe(401);
    const other = await registerUser(api);
    expect((await other.client.send(ROUTES.logout)).status).toBe(204);

    expect(await auditTrailOf(api, user.userId)).toEqual(['account.register:allow', 'session.refresh:allow', 'session.refresh-reuse:deny']);
    expect(await auditTrailOf(api, other.userId)).toEqual(['account.register:allow', 'session.logout:allow']);
  });

  it('chains each subject’s rows by hash, and the chain verifies', async () => {
    const user = await registerUser(api);
    for (let i = 0; i < 3; i++) await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    const rows = await auditRowsOf(api, user.userId);
    // One browser signing in three times: each sign-in after the first ends the session it replaces.
    expect(rows.map((row) => row.action)).toEqual(['account.register', 'session.login', 'session.replace', 'session.login', 'session.replace', 'session.login']);
    expect(await firstBrokenRow(rows)).toBeNull();
  });

  it('keeps one unbroken chain when many requests for one account run at once', async () => {
    const user = await registerUser(api);
    const attempts = 12;
    await Promise.all(
      Array.from({ length: attempts }, () => http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } })),
    );
    const rows = await auditRowsOf(api, user.userId);
    expect(rows).toHaveLength(attempts + 1);
    expect(await firstBrokenRow(rows)).toBeNull();
  });

  describe('append-only in the database itself', () => {
    let appRole: pg.Client;
    beforeAll(async () => {
      appRole = new pg.Client({ connectionString: api.database.appUrl });
      await appRole.connect();
    });
    afterAll(async () => {
      await appRole?.end();
    });

    it.each([
      ['UPDATE', `UPDATE audit_events SET outcome = 'allow'`],
      ['DELETE', 'DELETE FROM audit_events'],
      ['TRUNCATE', 'TRUNCATE audit_events'],
    ])('refuses %s from the application role', async (_verb, sql) => {
      await expect(appRole.query(sql)).rejects.toThrow(/permission denied/);
    });

    it('refuses UPDATE, DELETE and TRUNCATE even from the owner role, through a trigger', async () => {
      const owner = new pg.Client({ connectionString: api.database.ownerUrl });
      await owner.connect();
      try {
        await expect(owner.query(`UPDATE audit_events SET reason = 'x'`)).rejects.toThrow(/append-only/);
        await expect(owner.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
        await expect(owner.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
      } finally {
        await owner.end();
      }
    });

    it('refuses a row that does not continue its chain', async () => {
      const user = await registerUser(api);
      await expect(
        appRole.query(
          `INSERT INTO audit_events (subject_id, seq, occurred_at, action, outcome, prev_hash, hash)
           VALUES ($1, 7, now(), 'session.login', 'allow', repeat('0', 64), repeat('1', 64))`,
          [user.userId],
        ),
      ).rejects.toThrow(/does not continue the chain/);
    });

    it('detects a row changed by someone who disabled the trigger, at that row', async () => {
      const user = await registerUser(api);
      for (let i = 0; i < 3; i++) await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
      await api.adminQuery('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      try {
        await api.adminQuery(`UPDATE audit_events SET outcome = 'deny' WHERE subject_id = $1 AND seq = 3`, [user.userId]);
      } finally {
        await api.adminQuery('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      }
      expect(await firstBrokenRow(await auditRowsOf(api, user.userId))).toBe(3);
    });
  });
});
