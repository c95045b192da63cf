import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { registerUser } from './support/factories.js';
import { HttpClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('smoke', () => {
  let api: TestApp;
  beforeAll(async () => { api = await startTestApp(); });
  afterAll(async () => { await api?.close(); });

  it('registers and reads me', async () => {
    const user = await registerUser(api.baseUrl);
    const me = await new HttpClient(api.baseUrl).get(ROUTES.me.path, { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.userId, role: 'patient' });
  });
});
