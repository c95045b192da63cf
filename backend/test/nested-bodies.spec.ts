/**
 * Bodies whose nested key material is missing or not an object (found by the
 * dynamic scan, docs/security/dynamic-scan.md: a registration without `keys`
 * was a 500). Each is a 400 naming the field, sent as JSON and as the HTML form
 * the scanner sends, and leaves no account behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES, type ErrorResponse } from '@phr/shared-types';
import { randomKey, registerUser, registration, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('nested request bodies', () => {
  let api: TestApp;
  let http: TestClient;
  let patient: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    http = testClient(api.baseUrl);
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function accountsNamed(email: string): Promise<number> {
    const rows = await api.adminQuery<{ count: string }>('SELECT count(*) FROM users WHERE email = $1', [email]);
    return Number(rows[0].count);
  }

  function fieldsOf(response: { body: unknown }): string[] {
    return ((response.body as ErrorResponse).fields ?? []).map((field) => field.field);
  }

  for (const field of ['kdf', 'keys', 'recovery'] as const) {
    it(`refuses a registration without ${field}, naming it, and creates no account`, async () => {
      const { [field]: _left, ...request } = registration();
      const response = await http.unchecked().send(ROUTES.register, { body: request });
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toContain(field);
      expect(await accountsNamed(request.email)).toBe(0);
    });

    it(`refuses a registration whose ${field} is a string`, async () => {
      const request = { ...registration(), [field]: 'scan' };
      const response = await http.send(ROUTES.register, { body: request });
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toContain(field);
      expect(await accountsNamed(request.email)).toBe(0);
    });
  }

  it('refuses a registration sent as an HTML form (no nested fields possible) with 415, unparsed', async () => {
    const request = registration();
    const form = new URLSearchParams({ email: request.email, displayName: ';env;', role: 'patient', authKey: request.authKey });
    const response = await http.unchecked().send(ROUTES.register, { rawBody: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(415);
    expect(await accountsNamed(request.email)).toBe(0);
  });

  it('refuses a password change without newKdf and keeps the old password', async () => {
    const response = await patient.client.unchecked().send(ROUTES.changePassword, {
      token: patient.token,
      body: { currentAuthKey: patient.request.authKey, newAuthKey: randomKey(), newWrappedAccountKey: sealedBlob() },
    });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toContain('newKdf');
    const login = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: patient.request.email, authKey: patient.request.authKey } });
    expect(login.status).toBe(200);
  });

  it('refuses a recovery reset without newRecovery', async () => {
    const response = await http.unchecked().send(ROUTES.recoveryReset, {
      body: {
        email: patient.request.email,
        recoveryAuthKey: patient.request.recovery.recoveryAuthKey,
        newAuthKey: randomKey(),
        newKdf: patient.request.kdf,
        newWrappedAccountKey: sealedBlob(),
      },
    });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toContain('newRecovery');
  });
});
