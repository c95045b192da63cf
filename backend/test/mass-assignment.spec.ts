import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ROUTES, type Folder, type RouteName } from '@phr/shared-types';
import { registerUser, registration, sealedBlob, type RegisteredUser } from './support/factories.js';
import { idParams, testClient } from './support/http.js';
import { commitRequest, presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * ASVS 5.1.2: a body may carry only the fields its route documents. Fields that would name an
 * owner, a role or an id are refused with a 400 that names them, and nothing is written.
 */
describe('mass assignment', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let doctor: RegisteredUser;
  let folder: Folder;
  let recordId: string;
  let consentId: string;

  beforeAll(async () => {
    api = await startTestApp();
    [alice, bob, doctor] = await Promise.all([registerUser(api), registerUser(api), registerUser(api, 'doctor')]);
    folder = (await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } })).body;
    recordId = (await uploadRecord(alice, 100, folder.id)).summary.id;
    const consent = await alice.client.send(ROUTES.createConsent, {
      token: alice.token,
      body: { doctorId: doctor.userId, scope: 'record', recordId, wraps: [{ recordId, wrap: doctorWrap() }] },
    });
    consentId = consent.body.id;
  });
  afterAll(async () => {
    await api?.close();
  });

  function doctorWrap(): string {
    return randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');
  }

  /** Every row any of these calls could write, as the operator sees them. */
  async function everything(): Promise<unknown[]> {
    return Promise.all(
      ['users', 'folders', 'records', 'consents', 'record_wraps', 'public_keys'].map((table) => api.adminQuery(`SELECT * FROM ${table} ORDER BY 1`)),
    );
  }

  interface Attempt {
    route: RouteName;
    id?: () => string;
    token?: () => string;
    body: () => Promise<Record<string, unknown>> | Record<string, unknown>;
    extra: () => Record<string, unknown>;
  }

  const attempts: Array<[string, Attempt]> = [
    ['registration with an id and an admin flag', { route: 'register', body: () => ({ ...registration() }), extra: () => ({ id: randomUUID(), isAdmin: true }) }],
    ['sign-in with a role', { route: 'login', body: () => ({ email: alice.request.email, authKey: alice.request.authKey }), extra: () => ({ role: 'auditor' }) }],
    ['a folder made in Bob’s name', { route: 'createFolder', token: () => alice.token, body: () => ({ name: sealedBlob(20) }), extra: () => ({ ownerId: bob.userId }) }],
    ['a folder renamed with a new id and owner', { route: 'renameFolder', id: () => folder.id, token: () => alice.token, body: () => ({ name: sealedBlob(20) }), extra: () => ({ id: randomUUID(), ownerId: bob.userId }) }],
    [
      'a record committed in Bob’s name',
      {
        route: 'commitRecord',
        token: () => alice.token,
        body: async () => {
          const upload = await presign(alice, 100);
          await putSegments(upload, segmentBodies(100));
          return { ...commitRequest(upload.recordId) };
        },
        extra: () => ({ ownerId: bob.userId, patientId: bob.userId }),
      },
    ],
    [
      'a consent granted as active for another patient',
      {
        route: 'createConsent',
        token: () => alice.token,
        body: () => ({ doctorId: doctor.userId, scope: 'record', recordId, wraps: [{ recordId, wrap: doctorWrap() }] }),
        extra: () => ({ patientId: bob.userId, status: 'active' }),
      },
    ],
    ['a name correction that also changes the email, role and id', { route: 'updateMe', token: () => alice.token, body: () => ({ displayName: 'Alice Renamed' }), extra: () => ({ email: 'bob@example.org', role: 'auditor', id: bob.userId }) }],
    ['a revocation that moves the consent to another doctor', { route: 'updateConsent', id: () => consentId, token: () => alice.token, body: () => ({ status: 'revoked' }), extra: () => ({ doctorId: bob.userId }) }],
  ];

  it.each(attempts)('refuses %s with a 400 naming each extra field, and writes nothing', async (_case, attempt) => {
    const route = ROUTES[attempt.route];
    const body = await attempt.body();
    const extra = attempt.extra();
    const before = await everything();
    // Extra fields the contract forbids, on purpose.
    const response = await testClient(api.baseUrl).unchecked().send(route, {
      params: idParams(route, attempt.id?.() ?? ''),
      token: attempt.token?.(),
      body: { ...body, ...extra },
    });
    expect(response.status).toBe(400);
    expect(response.error?.code).toBe('VALIDATION_FAILED');
    expect(response.error?.fields?.map((problem) => problem.field).sort()).toEqual(Object.keys(extra).sort());
    expect(await everything()).toEqual(before);
  });

  it('takes the same calls without the extra fields, owned by the caller', async () => {
    const made = await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } });
    expect(made.status).toBe(201);
    const owners = await api.adminQuery<{ owner_id: string }>('SELECT owner_id FROM folders WHERE id = $1', [made.body.id]);
    expect(owners).toEqual([{ owner_id: alice.userId }]);
    const me = await alice.client.send(ROUTES.me, { token: alice.token });
    expect(me.body.role).toBe('patient');
    expect((await bob.client.send(ROUTES.listFolders, { token: bob.token })).body.items).toEqual([]);
    expect((await alice.client.send(ROUTES.listConsents, { token: alice.token })).body.items.map((consent) => consent.status)).toEqual(['active']);
  });
});
