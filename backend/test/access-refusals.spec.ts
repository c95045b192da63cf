import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { CapturingLogger } from './support/logs.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, forgeToken, sessionIdOf } from './support/tokens.js';

describe('refusals by the token and role guards are recorded (ASVS 7.2.2)', () => {
  const logger = new CapturingLogger();
  let api: TestApp;
  let doctor: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({}, logger);
    doctor = await registerUser(api, 'doctor');
  });
  afterAll(async () => {
    await api?.close();
  });

  const countAuditRows = async () => Number((await api.adminQuery<{ count: string }>('SELECT count(*) FROM audit_events'))[0].count);

  it('audits a 403 of the role guard in the caller’s own trail: deny, the role and the route, with IP, user agent and request id', async () => {
    const response = await doctor.client.send(ROUTES.createFolder, {
      token: doctor.token,
      body: { name: sealedBlob(20) },
      headers: { 'user-agent': 'role-test-agent' },
    });
    expect(response.status).toBe(403);
    const rows = await auditRowsOf(api, doctor.userId);
    expect(rows.at(-1)).toMatchObject({
      action: 'route.access',
      outcome: 'deny',
      actor_id: doctor.userId,
      actor_role: 'doctor',
      reason: 'role doctor may not use POST /api/folders',
      ip: '127.0.0.1',
      user_agent: 'role-test-agent',
      request_id: response.error?.requestId,
    });
    expect(logger.refusalsOf(response.error?.requestId ?? null)).toEqual([
      expect.objectContaining({ route: '/api/folders', status: 403, code: 'FORBIDDEN', reason: 'Your role may not use this route' }),
    ]);
  });

  it('logs a 401 of the token guard (no one to attribute it to) and writes no audit row', async () => {
    const before = await countAuditRows();
    const anonymous = testClient(api.baseUrl);
    const tokens = Object.values(badTokens(TEST_JWT_SECRET, doctor.userId, sessionIdOf(doctor.token)));
    const responses = [await anonymous.send(ROUTES.listRecords)];
    for (const token of tokens) responses.push(await anonymous.send(ROUTES.listRecords, { token }));
    for (const response of responses) {
      expect(response.status).toBe(401);
      expect(logger.refusalsOf(response.error?.requestId ?? null)).toEqual([
        { event: 'request.refused', requestId: response.error?.requestId, method: 'GET', route: '/api/records', status: 401, code: 'UNAUTHENTICATED', reason: 'A valid access token is required' },
      ]);
    }
    expect(await countAuditRows()).toBe(before);
    const logs = logger.lines.join('\n');
    for (const token of tokens) expect(logs).not.toContain(token);
  });

  it('answers a valid token of an account that is gone with 401 at the role guard too, and starts no trail for it', async () => {
    const ghostId = randomUUID();
    const ghost = forgeToken(TEST_JWT_SECRET, { userId: ghostId, role: 'doctor' });
    const response = await testClient(api.baseUrl).send(ROUTES.createFolder, { token: ghost, body: { name: sealedBlob(20) } });
    expect(response.status).toBe(401);
    expect(await auditRowsOf(api, ghostId)).toEqual([]);
  });
});
