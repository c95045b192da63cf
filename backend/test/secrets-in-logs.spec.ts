import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { REFRESH_COOKIE_NAME, ROUTES } from '@phr/shared-types';
import { DATA_SOURCE } from '../src/db/db.service.js';
import { randomKey, registerUser, sealedBlob } from './support/factories.js';
import { testClient } from './support/http.js';
import { CapturingLogger } from './support/logs.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('nothing secret reaches the logs', () => {
  const logger = new CapturingLogger();
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({}, logger);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('logs no auth key, recovery key, token or cookie, even when requests fail inside the server', async () => {
    const http = testClient(api.baseUrl);
    const user = await registerUser(api);
    const newAuthKey = randomKey();
    await http.send(ROUTES.login, { body: { email: user.request.email, authKey: randomKey() } });
    await user.client.send(ROUTES.refresh);
    await user.client.send(ROUTES.changePassword, {
      token: user.token,
      body: { currentAuthKey: user.request.authKey, newAuthKey, newKdf: user.request.kdf, newWrappedAccountKey: sealedBlob() },
    });
    // Break the database under the running API: these requests fail with 500 and are logged.
    await api.app.get<DataSource>(DATA_SOURCE).destroy();
    const failed = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: newAuthKey } });
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal error', requestId: expect.any(String) });

    const logs = logger.lines.join('\n');
    expect(logs).toContain('POST /api/auth/login failed');
    for (const secret of [user.request.authKey, newAuthKey, user.request.recovery.recoveryAuthKey, user.token, user.client.cookies.get(REFRESH_COOKIE_NAME)]) {
      expect(logs).not.toContain(secret);
    }
  });
});
