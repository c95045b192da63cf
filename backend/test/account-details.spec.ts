import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DISPLAY_NAME_MAX_LENGTH, ERROR_CODES, ROUTES, type ErrorResponse } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { decideOnClinician, insertAuditor, registerUnverifiedDoctor, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionTokenFor } from './support/tokens.js';

/** GDPR Art. 5(1)(d) and Art. 16: a signed-in user corrects their own details with PATCH /me. */
describe('account details: correcting one’s own name and specialty (GDPR Art. 16)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  const patch = (user: { client: TestClient; token: string | undefined }, body: unknown) =>
    user.client.unchecked().send(ROUTES.updateMe, { token: user.token, body });
  const me = async (user: RegisteredUser) => (await user.client.send(ROUTES.me, { token: user.token })).body;
  const fieldsOf = (body: ErrorResponse | null) => body?.fields?.map((problem) => problem.field).sort();

  it('changes a patient’s name (trimmed), answers with the updated account, lists it on GET /me and audits it in their own trail', async () => {
    const patient = await registerUser(api, 'patient', { displayName: 'Ada Byron' });
    const response = await patch(patient, { displayName: '  Ada King  ' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...patient.session.user, displayName: 'Ada King', specialty: null });
    expect(await me(patient)).toEqual(response.body);
    expect(await auditTrailOf(api, patient.userId)).toEqual(['account.register:allow', 'account.update:allow']);
    const [row] = (await auditRowsOf(api, patient.userId)).filter((audit) => audit.action === 'account.update');
    expect(row).toMatchObject({ actor_id: patient.userId, actor_role: 'patient', reason: 'changed displayName' });
    // The trail outlives an erasure: it names the field, never the value.
    expect(JSON.stringify(row)).not.toContain('Ada King');
  });

  it('changes a waiting doctor’s name and specialty, and patients searching for doctors see the new ones once an operator approves', async () => {
    // Once an operator has vouched for the name it stays (backend/test/clinicians.spec.ts); the specialty may change at any time.
    const doctor = await registerUnverifiedDoctor(api, { displayName: 'Dr. Quinzel', specialty: 'Psychiatry' });
    const patient = await registerUser(api, 'patient');
    const response = await patch(doctor, { displayName: 'Dr. Harleen Quinzel', specialty: ' Forensic psychiatry ' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: doctor.userId, displayName: 'Dr. Harleen Quinzel', specialty: 'Forensic psychiatry', email: doctor.request.email });
    expect(await me(doctor)).toEqual(response.body);
    await decideOnClinician(api, doctor.userId, 'approve');

    const search = await patient.client.send(ROUTES.searchDoctors, { body: { q: 'Harleen' }, token: patient.token });
    expect(search.status).toBe(200);
    expect(search.body.items.filter((item) => item.id === doctor.userId).map(({ displayName, specialty }) => ({ displayName, specialty }))).toEqual([
      { displayName: 'Dr. Harleen Quinzel', specialty: 'Forensic psychiatry' },
    ]);
    const [row] = (await auditRowsOf(api, doctor.userId)).filter((audit) => audit.action === 'account.update');
    expect(row).toMatchObject({ outcome: 'allow', reason: 'changed displayName, specialty' });
  });

  it('lets an auditor correct their name too', async () => {
    const auditorId = await insertAuditor(api.adminQuery);
    const auditor = { client: testClient(api.baseUrl), token: await sessionTokenFor(api, auditorId, 'auditor') };
    const response = await patch(auditor, { displayName: 'Grace Hopper' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: auditorId, role: 'auditor', displayName: 'Grace Hopper', specialty: null });
    expect(await auditTrailOf(api, auditorId)).toEqual(['account.update:allow']);
  });

  it('answers 401 without a token and changes nothing', async () => {
    const patient = await registerUser(api, 'patient', { displayName: 'Untouched Name' });
    const response = await patch({ client: patient.client, token: undefined }, { displayName: 'Someone Else' });
    expect(response.status).toBe(401);
    expect(response.error?.code).toBe(ERROR_CODES.unauthenticated);
    expect((await me(patient)).displayName).toBe('Untouched Name');
  });

  it.each([
    ['an empty name', { displayName: '' }, 'displayName'],
    ['a blank name', { displayName: '   ' }, 'displayName'],
    ['a name too long', { displayName: 'x'.repeat(DISPLAY_NAME_MAX_LENGTH + 1) }, 'displayName'],
    ['a name that is not a string', { displayName: 42 }, 'displayName'],
    ['a name with a control character', { displayName: 'Ada\u0000King' }, 'displayName'],
    ['a name over two lines', { displayName: 'Ada\nKing' }, 'displayName'],
    ['no field at all', {}, 'body'],
  ])('refuses %s with a 400 naming the field, and changes nothing', async (_what, body, field) => {
    const patient = await registerUser(api, 'patient', { displayName: 'Kept Name' });
    const response = await patch(patient, body);
    expect(response.status).toBe(400);
    expect(response.error?.code).toBe(ERROR_CODES.validation);
    expect(fieldsOf(response.error)).toEqual([field]);
    expect((await me(patient)).displayName).toBe('Kept Name');
    expect(await auditTrailOf(api, patient.userId)).toEqual(['account.register:allow']);
  });

  it('refuses a specialty from a patient with a 400 naming specialty, and keeps the name unchanged as well', async () => {
    const patient = await registerUser(api, 'patient', { displayName: 'Plain Patient' });
    const response = await patch(patient, { displayName: 'Dr. Fake', specialty: 'Surgery' });
    expect(response.status).toBe(400);
    expect(fieldsOf(response.error)).toEqual(['specialty']);
    expect(await me(patient)).toMatchObject({ displayName: 'Plain Patient', specialty: null });
    const [stored] = await api.adminQuery<{ specialty: string | null }>('SELECT specialty FROM users WHERE id = $1', [patient.userId]);
    expect(stored?.specialty).toBeNull();
  });

  it('refuses fields the route does not take (email, role, id) with a 400 naming each of them', async () => {
    const patient = await registerUser(api, 'patient', { displayName: 'Mass Assigned' });
    const response = await patch(patient, { displayName: 'New Name', email: 'other@example.org', role: 'auditor', id: patient.userId });
    expect(response.status).toBe(400);
    expect(fieldsOf(response.error)).toEqual(['email', 'id', 'role']);
    expect(await me(patient)).toMatchObject({ displayName: 'Mass Assigned', email: patient.request.email, role: 'patient' });
  });

  it('changes only the caller’s own account: another user’s name stays as it was', async () => {
    const alice = await registerUser(api, 'patient', { displayName: 'Alice Original' });
    const bob = await registerUser(api, 'patient', { displayName: 'Bob Original' });
    expect((await patch(alice, { displayName: 'Alice Corrected' })).status).toBe(200);
    expect((await me(alice)).displayName).toBe('Alice Corrected');
    expect(await me(bob)).toEqual(bob.session.user);
    expect(await auditTrailOf(api, bob.userId)).toEqual(['account.register:allow']);
    const names = await api.adminQuery<{ id: string; display_name: string }>('SELECT id, display_name FROM users WHERE id = ANY($1) ORDER BY display_name', [
      [alice.userId, bob.userId],
    ]);
    expect(names.map((row) => row.display_name)).toEqual(['Alice Corrected', 'Bob Original']);
  });
});
