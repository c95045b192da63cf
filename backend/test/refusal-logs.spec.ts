import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { randomKey, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient, type RouteResult } from './support/http.js';
import { CapturingLogger } from './support/logs.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Values no log line may hold: each request below carries one in its body, query or path. */
const SECRET = `secret-${randomKey(12)}`;

describe('refused requests are logged: one warn line of names, never values (ASVS 7.1.3, 14.5.1)', () => {
  const logger = new CapturingLogger();
  let api: TestApp;
  let http: TestClient;
  let patient: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({}, logger);
    http = testClient(api.baseUrl);
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** The one refusal line of this answer, found by its request id. */
  function logLineOf(response: RouteResult<unknown>): Record<string, unknown> {
    const requestId = response.headers.get('x-request-id');
    const entries = logger.refusalsOf(requestId);
    expect(entries).toHaveLength(1);
    return entries[0] as unknown as Record<string, unknown>;
  }

  it('logs a body that fails validation with the route pattern and the failing field names', async () => {
    const response = await http.unchecked().send(ROUTES.login, { body: { email: 'not-an-email', authKey: SECRET, note: SECRET } });
    expect(response.status).toBe(400);
    expect(logLineOf(response)).toEqual({
      event: 'request.refused',
      requestId: response.error?.requestId,
      method: 'POST',
      route: '/api/auth/login',
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: expect.arrayContaining(['email', 'authKey', 'note']),
    });
  });

  it('logs malformed JSON (400), an oversized body (413) and a wrong content type (415)', async () => {
    const malformed = await http.unchecked().send(ROUTES.login, { rawBody: `{"authKey": "${SECRET}"` });
    expect(malformed.status).toBe(400);
    expect(logLineOf(malformed)).toMatchObject({ route: '/api/auth/login', status: 400, code: 'VALIDATION_FAILED', fields: ['body'] });

    const oversized = await http.unchecked().send(ROUTES.login, { body: { authKey: SECRET.repeat(Math.ceil(api.config.bodyLimitBytes / SECRET.length) + 1) } });
    expect(oversized.status).toBe(413);
    expect(logLineOf(oversized)).toMatchObject({ route: '/api/auth/login', status: 413, code: 'PAYLOAD_TOO_LARGE' });

    const plainText = await http.unchecked().send(ROUTES.login, { rawBody: SECRET, headers: { 'content-type': 'text/plain' } });
    expect(plainText.status).toBe(415);
    expect(logLineOf(plainText)).toMatchObject({ method: 'POST', route: '/api/auth/login', status: 415 });
  });

  it('logs a bad query by its route pattern, without the query or the path’s values', async () => {
    const response = await patient.client.unchecked().send(ROUTES.listAudit, { query: { action: SECRET, limit: 9999 }, token: patient.token });
    expect(response.status).toBe(400);
    expect(logLineOf(response)).toMatchObject({ method: 'GET', route: '/api/audit', status: 400, fields: expect.arrayContaining(['action', 'limit']) });

    const badId = await patient.client.send(ROUTES.getRecord, { params: { id: SECRET }, token: patient.token });
    expect(badId.status).toBe(400);
    expect(logLineOf(badId)).toMatchObject({ route: '/api/records/:id', status: 400 });
  });

  it('logs requests for routes and methods that do not exist (404), with the path tried but not its query', async () => {
    // Paths and methods of no route of the table, on purpose.
    const unknown = await http.unchecked().request('GET', '/no-such-route', { query: { token: SECRET } });
    expect(unknown.status).toBe(404);
    expect(logLineOf(unknown)).toMatchObject({ method: 'GET', route: null, path: '/api/no-such-route', status: 404, code: 'NOT_FOUND' });

    const wrongMethod = await http.unchecked().request('PATCH', ROUTES.login.path, { body: { authKey: SECRET } });
    expect(wrongMethod.status).toBe(404);
    expect(logLineOf(wrongMethod)).toMatchObject({ method: 'PATCH', route: null, path: '/api/auth/login', status: 404 });

    const badEncoding = await http.unchecked().request('GET', '/records/%zz');
    expect(badEncoding.status).toBe(400);
    expect(logLineOf(badEncoding)).toMatchObject({ route: null, status: 400, fields: ['path'] });
  });

  it('does not log an ordinary answer of a route that exists (a record that is not there)', async () => {
    const response = await patient.client.send(ROUTES.getRecord, { params: { id: '00000000-0000-4000-8000-000000000000' }, token: patient.token });
    expect(response.status).toBe(404);
    expect(logger.refusalsOf(response.headers.get('x-request-id'))).toEqual([]);
  });

  it('never writes a submitted value, token or body into any log line', () => {
    const logs = logger.lines.join('\n');
    expect(logs).toContain('"event":"request.refused"');
    for (const secret of [SECRET, patient.token, patient.request.authKey]) expect(logs).not.toContain(secret);
  });
});
