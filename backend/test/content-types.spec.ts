import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_PREFIX, ROUTES, type ErrorResponse } from '@phr/shared-types';
import { registerUser, sealedBlob, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** ASVS 13.1.5 / 13.2.5: every body the API takes is JSON; anything else is refused before a route runs. */
describe('request content types', () => {
  let api: TestApp;
  let patient: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Sends JSON text under a chosen Content-Type; `null` sends the bytes with no Content-Type at all. */
  async function send(path: string, json: string, contentType: string | null, token?: string) {
    const headers: Record<string, string> = {};
    if (contentType !== null) headers['content-type'] = contentType;
    if (token) headers.authorization = `Bearer ${token}`;
    // Bytes, not a string: fetch would label a string text/plain by itself.
    const response = await fetch(`${api.baseUrl}${API_PREFIX}${path}`, { method: 'POST', headers, body: new TextEncoder().encode(json) });
    return { status: response.status, body: (await response.json()) as ErrorResponse };
  }

  const folderCount = async () => (await patient.client.send(ROUTES.listFolders, { token: patient.token })).body.items.length;
  const accountsNamed = async (email: string) => (await api.adminQuery('SELECT 1 FROM users WHERE email = $1', [email])).length;

  const wrongTypes: Array<[string, string | null]> = [
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['an HTML form', 'application/x-www-form-urlencoded'],
    ['multipart form data', 'multipart/form-data; boundary=----phr'],
    ['XML', 'application/xml'],
    ['no content type', null],
  ];

  it.each(wrongTypes)('answers a registration sent as %s with 415 and makes no account', async (_case, contentType) => {
    const request = await verifiedRegistration(api);
    const response = await send(ROUTES.register.path, JSON.stringify(request), contentType);
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ statusCode: 415, message: 'Content-Type must be application/json' });
    expect(await accountsNamed(request.email)).toBe(0);
  });

  it.each(wrongTypes)('answers a signed-in folder creation sent as %s with 415 and makes no folder', async (_case, contentType) => {
    const before = await folderCount();
    const response = await send(ROUTES.createFolder.path, JSON.stringify({ name: sealedBlob(20) }), contentType, patient.token);
    expect(response.status).toBe(415);
    expect(await folderCount()).toBe(before);
  });

  it('takes the same body as application/json, with or without a charset', async () => {
    const before = await folderCount();
    expect((await send(ROUTES.createFolder.path, JSON.stringify({ name: sealedBlob(20) }), 'application/json', patient.token)).status).toBe(201);
    expect((await send(ROUTES.createFolder.path, JSON.stringify({ name: sealedBlob(20) }), 'application/json; charset=utf-8', patient.token)).status).toBe(201);
    expect(await folderCount()).toBe(before + 2);
  });

  it('answers a JSON route called with no body and no content type with a 400 naming the body', async () => {
    const response = await testClient(api.baseUrl).unchecked().send(ROUTES.createFolder, { token: patient.token });
    expect(response.status).toBe(400);
    expect(response.error?.fields?.map((problem) => problem.field)).toEqual(['body']);
  });
});
