import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_TOKEN_SECONDS, ROUTES } from '@phr/shared-types';
import jwt from 'jsonwebtoken';
import { auditRowsOf } from './support/audit.js';
import { registerStaff, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, otherSecret } from './support/tokens.js';

describe('API tokens: an auditor’s short-lived, read-only token for Swagger UI and scripts (docs/protocol.md "API tokens")', () => {
  let api: TestApp;
  let auditor: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    auditor = await registerStaff(api, 'auditor');
  });
  afterAll(async () => {
    await api?.close();
  });

  async function issue(by: RegisteredUser = auditor, label = 'Swagger UI') {
    const response = await by.client.send(ROUTES.issueApiToken, { token: by.token, body: { label } });
    expect(response.status).toBe(201);
    return response.body;
  }

  it('issues a token that reads the API for an hour, names its own session and scope "read", and is audited', async () => {
    const before = Math.floor(Date.now() / 1000);
    const issued = await issue();
    const claims = jwt.decode(issued.accessToken) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: auditor.userId, role: 'auditor', scope: 'read', sid: issued.id });
    expect((claims.exp as number) - (claims.iat as number)).toBe(API_TOKEN_SECONDS);
    expect(claims.iat as number).toBeGreaterThanOrEqual(before);
    expect(issued.expiresIn).toBe(API_TOKEN_SECONDS);
    expect(Date.parse(issued.expiresAt) - Date.parse(issued.createdAt)).toBe(API_TOKEN_SECONDS * 1000);

    const me = await testClient(api.baseUrl).send(ROUTES.me, { token: issued.accessToken });
    expect({ status: me.status, id: me.body.id }).toEqual({ status: 200, id: auditor.userId });
    const trail = await testClient(api.baseUrl).send(ROUTES.listAudit, { token: issued.accessToken });
    expect(trail.status).toBe(200);

    const rows = await auditRowsOf(api, auditor.userId);
    expect(rows.filter((row) => row.action === 'session.api-token-issue').map((row) => [row.outcome, row.actor_id, row.reason])).toContainEqual([
      'allow',
      auditor.userId,
      `API token ${issued.id} (Swagger UI), read-only, until ${issued.expiresAt}`,
    ]);
  });

  it('is read-only: a write with it is 403 and audited, whatever the route admits', async () => {
    const issued = await issue();
    const client = testClient(api.baseUrl);
    const rename = await client.unchecked().send(ROUTES.updateMe, { token: issued.accessToken, body: { displayName: 'Renamed by a script' } });
    expect({ status: rename.status, code: (rename.body as { code?: string }).code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const another = await client.unchecked().send(ROUTES.issueApiToken, { token: issued.accessToken, body: { label: 'another' } });
    expect(another.status).toBe(403);
    const revokeItself = await client.unchecked().send(ROUTES.revokeApiToken, { token: issued.accessToken, params: { id: issued.id } });
    expect(revokeItself.status).toBe(403);
    const me = await client.send(ROUTES.me, { token: auditor.token });
    expect(me.body.displayName).not.toBe('Renamed by a script');
    const refusals = (await auditRowsOf(api, auditor.userId)).filter((row) => row.action === 'route.access' && row.outcome === 'deny').map((row) => row.reason);
    expect(refusals).toEqual(expect.arrayContaining(['a read-only API token may not use PATCH /api/me', 'a read-only API token may not use POST /api/api-tokens']));
  });

  it('lists the live tokens without their values, and ends one at once: its next request is 401', async () => {
    const kept = await issue();
    const ended = await issue();
    const list = await auditor.client.send(ROUTES.listApiTokens, { token: auditor.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((item) => item.id)).toEqual(expect.arrayContaining([kept.id, ended.id]));
    expect(JSON.stringify(list.body)).not.toContain(kept.accessToken);
    expect(Object.keys(list.body.items[0]).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'label']);

    expect((await testClient(api.baseUrl).send(ROUTES.me, { token: ended.accessToken })).status).toBe(200);
    const revoke = await auditor.client.send(ROUTES.revokeApiToken, { token: auditor.token, params: { id: ended.id } });
    expect(revoke.status).toBe(204);
    const after = await testClient(api.baseUrl).unchecked().send(ROUTES.me, { token: ended.accessToken });
    expect(after.status).toBe(401);
    expect((await testClient(api.baseUrl).send(ROUTES.me, { token: kept.accessToken })).status).toBe(200);
    const relisted = await auditor.client.send(ROUTES.listApiTokens, { token: auditor.token });
    expect(relisted.body.items.map((item) => item.id)).not.toContain(ended.id);

    const again = await auditor.client.unchecked().send(ROUTES.revokeApiToken, { token: auditor.token, params: { id: ended.id } });
    expect(again.status).toBe(404);
    const actions = (await auditRowsOf(api, auditor.userId)).map((row) => `${row.action}:${row.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['session.api-token-list:allow', 'session.api-token-revoke:allow', 'session.api-token-revoke:deny']));
  });

  it('is not one of the browser sessions (GET /sessions lists browsers only, DELETE /sessions/:id does not end it)', async () => {
    const issued = await issue();
    const sessions = await auditor.client.send(ROUTES.listSessions, { token: auditor.token });
    expect(sessions.body.items.map((item) => item.id)).not.toContain(issued.id);
    const ended = await auditor.client.unchecked().send(ROUTES.revokeSession, { token: auditor.token, params: { id: issued.id } });
    expect(ended.status).toBe(404);
    expect((await testClient(api.baseUrl).send(ROUTES.listApiTokens, { token: issued.accessToken })).status).toBe(200);
  });

  it('refuses a request with no token, a forged one, and a token of another scope or lifetime (401)', async () => {
    const client = testClient(api.baseUrl).unchecked();
    expect((await client.send(ROUTES.issueApiToken, { body: { label: 'Swagger UI' } })).status).toBe(401);
    expect((await client.send(ROUTES.listApiTokens)).status).toBe(401);
    expect((await client.send(ROUTES.revokeApiToken, { params: { id: randomUUID() } })).status).toBe(401);
    const issued = await issue();
    const forged = [
      forgeToken(TEST_JWT_SECRET, { userId: auditor.userId, role: 'auditor', secret: otherSecret() }),
      forgeToken(otherSecret(), { userId: auditor.userId, role: 'auditor', sessionId: issued.id, scope: 'read', expiresInSeconds: 600 }),
      forgeToken(TEST_JWT_SECRET, { userId: auditor.userId, role: 'auditor', sessionId: issued.id, scope: 'write', expiresInSeconds: 600 }),
      // A read token may live an hour, no longer; an ordinary token 15 minutes.
      forgeToken(TEST_JWT_SECRET, { userId: auditor.userId, role: 'auditor', sessionId: issued.id, scope: 'read', expiresInSeconds: API_TOKEN_SECONDS + 60 }),
      forgeToken(TEST_JWT_SECRET, { userId: auditor.userId, role: 'auditor', sessionId: issued.id, expiresInSeconds: API_TOKEN_SECONDS }),
    ];
    for (const token of forged) expect((await client.send(ROUTES.me, { token })).status).toBe(401);
    // Signed with the right key and within the rules, the same claims pass: the refusals above are for what they change.
    const genuine = forgeToken(TEST_JWT_SECRET, { userId: auditor.userId, role: 'auditor', sessionId: issued.id, scope: 'read', expiresInSeconds: API_TOKEN_SECONDS });
    expect((await client.send(ROUTES.me, { token: genuine })).status).toBe(200);
  });

  it.each(['patient', 'doctor', 'operator'] as const)('refuses a %s (403): API tokens are for the security team only', async (role) => {
    const user = role === 'operator' ? await registerStaff(api, 'operator') : await registerUser(api, role);
    const response = await user.client.unchecked().send(ROUTES.issueApiToken, { token: user.token, body: { label: 'Swagger UI' } });
    expect(response.status).toBe(403);
    const list = await user.client.unchecked().send(ROUTES.listApiTokens, { token: user.token });
    expect(list.status).toBe(403);
    const rows = await auditRowsOf(api, user.userId);
    expect(rows.some((row) => row.action === 'route.access' && row.outcome === 'deny' && row.reason === `role ${role} may not use POST /api/api-tokens`)).toBe(true);
  });

  it('names a missing, empty, multi-line or overlong label (400) and issues nothing', async () => {
    const before = (await auditor.client.send(ROUTES.listApiTokens, { token: auditor.token })).body.items.length;
    for (const body of [{}, { label: '' }, { label: 'two\nlines' }, { label: 'x'.repeat(101) }, { label: 7 }]) {
      const response = await auditor.client.unchecked().send(ROUTES.issueApiToken, { token: auditor.token, body });
      expect({ status: response.status, fields: response.error?.fields?.map((field) => field.field) }).toEqual({ status: 400, fields: ['label'] });
    }
    expect((await auditor.client.send(ROUTES.listApiTokens, { token: auditor.token })).body.items).toHaveLength(before);
  });

  it('does not end another auditor’s token (404, as for an unknown id), and names a malformed id (400)', async () => {
    const other = await registerStaff(api, 'auditor');
    const theirs = await issue(other);
    const response = await auditor.client.unchecked().send(ROUTES.revokeApiToken, { token: auditor.token, params: { id: theirs.id } });
    expect(response.status).toBe(404);
    expect((await testClient(api.baseUrl).send(ROUTES.me, { token: theirs.accessToken })).status).toBe(200);
    const unknown = await auditor.client.unchecked().send(ROUTES.revokeApiToken, { token: auditor.token, params: { id: randomUUID() } });
    expect(unknown.status).toBe(404);
    const malformed = await auditor.client.unchecked().send(ROUTES.revokeApiToken, { token: auditor.token, params: { id: 'not-a-uuid' } });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).toContain('id');
  });
});
