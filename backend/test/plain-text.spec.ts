import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACCOUNT_ERASURE_CONFIRMATION, ROUTES } from '@phr/shared-types';
import { decideOnClinician, randomKey, registerUser, registration, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient, type RouteResult } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Text no name, purpose, reason or search may hold, each of which once reached the database or a patient's screen. */
const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ['a NUL', 'Ada\u0000Lovelace'],
  ['a newline', 'Ada\nLovelace'],
  ['a carriage return', 'Ada\rLovelace'],
  ['a terminal escape sequence', 'Ada \u001b[31mLovelace'],
  ['a C1 control', 'Ada\u0085Lovelace'],
  ['a line separator', 'Ada\u2028Lovelace'],
  ['a right-to-left override', 'Dr. \u202eesuoH'],
  ['a bidirectional isolate', 'Dr. \u2067House\u2069'],
  ['only spaces', '   '],
];

/** Names as people write them: accents, other scripts (right-to-left too), emoji with joiners. */
const ACCEPTED = ['Zoë Ünal-García', 'د. ليلى حداد', 'שרה לוי', '李小龍', 'Ada 👩🏽‍⚕️'];

/**
 * One rule for every free-text field the API stores in clear (common/plain-text.ts):
 * one line, not blank, no control or bidirectional-override characters. Each
 * field is tried through its own route; a refusal is a 400 naming the field.
 */
describe('free text the API stores in clear: one line, no control or bidi characters', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
  });
  afterAll(async () => {
    await api?.close();
  });

  const fieldsOf = (response: RouteResult<unknown>) => response.error?.fields?.map((problem) => problem.field);
  const expectRefused = (response: RouteResult<unknown>, field: string) =>
    expect({ status: response.status, fields: fieldsOf(response) }).toEqual({ status: 400, fields: [field] });

  describe.each(REFUSED)('refuses %s', (_case, text) => {
    it('in the display name at registration, and makes no account', async () => {
      const request = registration({ displayName: text });
      expectRefused(await testClient(api.baseUrl).send(ROUTES.register, { body: request }), 'displayName');
      expect(await api.adminQuery('SELECT 1 FROM users WHERE email = $1', [request.email])).toEqual([]);
    });

    it('in a doctor’s specialty at registration', async () => {
      const request = registration({ specialty: text }, 'doctor');
      expectRefused(await testClient(api.baseUrl).send(ROUTES.register, { body: request }), 'specialty');
    });

    it('in the display name and specialty of PATCH /me, and changes nothing', async () => {
      for (const field of ['displayName', 'specialty']) {
        const response = await doctor.client.send(ROUTES.updateMe, { token: doctor.token, body: { [field]: text } });
        expectRefused(response, field);
      }
      const [row] = await api.adminQuery('SELECT display_name, specialty FROM users WHERE id = $1', [doctor.userId]);
      expect(row).toEqual({ display_name: doctor.request.displayName, specialty: doctor.request.specialty ?? null });
    });

    it('in a security key’s name', async () => {
      const response = await patient.client.send(ROUTES.securityKeyOptions, { token: patient.token, body: { name: text } });
      expectRefused(response, 'name');
    });

    it('in a consent’s purpose', async () => {
      const response = await patient.client.send(ROUTES.createConsent, {
        token: patient.token,
        body: { doctorId: doctor.userId, scope: 'all', purpose: text, wraps: [] },
      });
      expectRefused(response, 'purpose');
    });

    it('in the reason of an erasure, and erases nothing', async () => {
      const response = await patient.client.send(ROUTES.eraseAccount, {
        token: patient.token,
        body: { currentAuthKey: randomKey(), confirmation: ACCOUNT_ERASURE_CONFIRMATION, reason: text },
      });
      expectRefused(response, 'reason');
      expect(await api.adminQuery('SELECT 1 FROM users WHERE id = $1', [patient.userId])).toHaveLength(1);
    });

    it('in the doctor search q', async () => {
      const response = await patient.client.send(ROUTES.searchDoctors, { body: { q: text }, token: patient.token });
      expectRefused(response, 'q');
    });
  });

  it.each(ACCEPTED)('accepts the name %s at registration and in PATCH /me, and patients find the doctor by it', async (name) => {
    const client = testClient(api.baseUrl);
    const created = await client.send(ROUTES.register, { body: await verifiedRegistration(api, { displayName: name, specialty: name }, 'doctor') });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ displayName: name, specialty: name });
    const renamed = await client.send(ROUTES.updateMe, { token: created.body.accessToken, body: { displayName: `${name} 2` } });
    expect(renamed.status).toBe(200);
    await decideOnClinician(api, created.body.user.id, 'approve');
    const found = await patient.client.send(ROUTES.searchDoctors, { body: { q: `${name} 2` }, token: patient.token });
    expect(found.body.items.map((item) => item.id)).toContain(created.body.user.id);
  });
});
