import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, ROUTES, SECURITY_EVENT_DETAIL_MAX_LENGTH } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { insertAuditor, registerUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionTokenFor } from './support/tokens.js';

/**
 * POST /security-events: the browser reports a check that failed (a key, a key-directory
 * head, the trail itself; docs/protocol.md "Client-side checks"), and the report is a row
 * of the caller's own audit trail.
 */
describe('security events reported by the browser', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  const report = (caller: { client: TestClient; token: string | undefined }, body: unknown) =>
    caller.client.unchecked().send(ROUTES.reportSecurityEvent, { token: caller.token, body });

  it('files a patient’s report as a denial in their own trail, with the kind and the detail as the reason', async () => {
    const patient = await registerUser(api, 'patient');
    const detail = 'the public key served at sign-in does not open with the private key (fingerprint 3f2a…)';
    const response = await report(patient, { kind: 'own-key-mismatch', detail });
    expect(response.status).toBe(204);
    expect(await auditTrailOf(api, patient.userId)).toEqual(['account.register:allow', 'security.client-report:deny']);
    const [row] = (await auditRowsOf(api, patient.userId)).filter((audit) => audit.action === 'security.client-report');
    expect(row).toMatchObject({ actor_id: patient.userId, actor_role: 'patient', reason: `own-key-mismatch: ${detail}` });
  });

  it('takes reports from doctors and auditors too, each in their own trail', async () => {
    const doctor = await registerUser(api, 'doctor');
    expect((await report(doctor, { kind: 'own-binding-mismatch', detail: 'the key directory binds another key to this account' })).status).toBe(204);
    expect(await auditTrailOf(api, doctor.userId)).toContain('security.client-report:deny');

    const auditorId = await insertAuditor(api.adminQuery);
    const auditor = { client: testClient(api.baseUrl), token: await sessionTokenFor(api, auditorId, 'auditor') };
    expect((await report(auditor, { kind: 'audit-trail-broken', detail: 'entry 3 does not hash to what it says' })).status).toBe(204);
    expect(await auditTrailOf(api, auditorId)).toEqual(['security.client-report:deny']);
  });

  it.each([
    ['an unknown kind', { kind: 'made-up', detail: 'x' }, 'kind'],
    ['no kind', { detail: 'x' }, 'kind'],
    ['an empty detail', { kind: 'tree-head-invalid', detail: '' }, 'detail'],
    ['a detail over two lines', { kind: 'tree-head-invalid', detail: 'forged\nsecurity.client-report' }, 'detail'],
    ['a detail too long', { kind: 'tree-head-invalid', detail: 'x'.repeat(SECURITY_EVENT_DETAIL_MAX_LENGTH + 1) }, 'detail'],
    ['a field of its own', { kind: 'tree-head-invalid', detail: 'x', subjectId: '00000000-0000-0000-0000-000000000001' }, 'subjectId'],
  ])('refuses %s with a 400 naming the field, and files nothing', async (_what, body, field) => {
    const patient = await registerUser(api, 'patient');
    const response = await report(patient, body);
    expect(response.status).toBe(400);
    expect(response.error?.code).toBe(ERROR_CODES.validation);
    expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    expect(await auditTrailOf(api, patient.userId)).toEqual(['account.register:allow']);
  });

  it('answers 401 without a token', async () => {
    const response = await report({ client: testClient(api.baseUrl), token: undefined }, { kind: 'own-key-mismatch', detail: 'x' });
    expect(response.status).toBe(401);
    expect(response.error?.code).toBe(ERROR_CODES.unauthenticated);
  });
});
