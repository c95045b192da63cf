import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { DOCTOR_WRAP_BYTES, ROLES, ROUTES, type Role, type RouteName } from '@phr/shared-types';
import { CLIENT_STATE_BODY_LIMIT_BYTES } from '../src/contract/client-state.dto.js';
import { CONSENT_BODY_LIMIT_BYTES } from '../src/consents/dto/consents.dto.js';
import { CONTACT_BODY_LIMIT_BYTES } from '../src/trusted-contacts/dto/trusted-contacts.dto.js';
import { EMERGENCY_BODY_LIMIT_BYTES } from '../src/emergency/dto/emergency.dto.js';
import { KEY_ROTATION_BATCH_BODY_LIMIT_BYTES, KEY_ROTATION_FINISH_BODY_LIMIT_BYTES } from '../src/key-rotation/dto/key-rotation.dto.js';
import { fingerprintOf, insertAuditor, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { idParams, testClient, type TestClient } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { ROUTE_ACCESS, STRANGER_CALLS, type OwnedIds } from './support/route-access.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { SoftAuthenticator, enrolSecurityKey } from './support/webauthn.js';
import { badTokens, sessionIdOf, sessionTokenFor } from './support/tokens.js';

const protectedRoutes = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTE_ACCESS[name] !== 'public');

describe('route access: every route, every role, every kind of bad token', () => {
  let api: TestApp;
  let http: TestClient;
  const tokens = {} as Record<Role, string>;
  const userIds = {} as Record<Role, string>;
  let someUserId: string;
  /** A clinician of its own for the operator's call that ends a clinician's sessions: the doctor's token above must live on. */
  let sessionsToEndId: string;

  beforeAll(async () => {
    api = await startTestApp();
    http = testClient(api.baseUrl);
    const patient = await registerUser(api, 'patient');
    const doctor = await registerUser(api, 'doctor');
    userIds.patient = patient.userId;
    userIds.doctor = doctor.userId;
    userIds.auditor = await insertAuditor(api.adminQuery);
    userIds.operator = await insertAuditor(api.adminQuery, 'operator');
    for (const role of ROLES) tokens[role] = await sessionTokenFor(api, userIds[role], role);
    someUserId = doctor.userId;
    sessionsToEndId = (await registerUser(api, 'doctor')).userId;
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Every route of the table in turn, with an empty body: unchecked, as no one route's types apply. */
  const call = (name: RouteName, token?: string) => {
    const route = ROUTES[name];
    return http.unchecked().send(route, { params: idParams(route, name === 'endClinicianSessions' ? sessionsToEndId : someUserId), token, body: route.method === 'GET' ? undefined : {} });
  };

  it('has an access entry for every route of the contract', () => {
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual(Object.keys(ROUTES).sort());
  });

  const routesWithBody = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].method !== 'GET');
  /** Routes that take more than BODY_LIMIT_BYTES by design (@BodyLimit). */
  const BODY_LIMITS: Partial<Record<RouteName, number>> = {
    createConsent: CONSENT_BODY_LIMIT_BYTES,
    nameTrustedContact: CONTACT_BODY_LIMIT_BYTES,
    rewrapTrustedContact: CONTACT_BODY_LIMIT_BYTES,
    putClientState: CLIENT_STATE_BODY_LIMIT_BYTES,
    keyRotationBatch: KEY_ROTATION_BATCH_BODY_LIMIT_BYTES,
    finishKeyRotation: KEY_ROTATION_FINISH_BODY_LIMIT_BYTES,
    configureEmergency: EMERGENCY_BODY_LIMIT_BYTES,
  };

  describe.each(routesWithBody)('%s refuses bad bodies before doing anything', (name) => {
    const send = (options: { rawBody?: string; body?: unknown }) => {
      const route = ROUTES[name];
      const token = ROUTE_ACCESS[name] === 'public' ? undefined : tokens.patient;
      return http.unchecked().send(route, { params: idParams(route, someUserId), token, ...options });
    };

    it('answers malformed JSON with 400 naming the body', async () => {
      const response = await send({ rawBody: '{"unterminated": ' });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'body' }] });
    });

    it('answers an oversized body with 413', async () => {
      const limit = BODY_LIMITS[name] ?? api.config.bodyLimitBytes;
      const response = await send({ body: { padding: 'x'.repeat(limit + 1) } });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

  });

  /** Routes whose contract has a request body (refresh and logout carry only the cookie; an authenticator app's enrolment, nothing: the server makes the secret). */
  const routesTakingJson = routesWithBody.filter((name) => !['refresh', 'logout', 'enrolTotp'].includes(name));

  it.each(routesTakingJson)('%s refuses a JSON body that is not an object, and an empty object, naming fields', async (name) => {
    const route = ROUTES[name];
    const access = ROUTE_ACCESS[name];
    const token = access === 'public' ? undefined : tokens[access.includes('patient') ? 'patient' : access[0]];
    // The id is the table's own placeholder, `:id`, as this case always sent: no UUID, so a route without a body refuses it (400) too.
    const array = await http.unchecked().send(route, { params: idParams(route, ':id'), token, rawBody: '[1, 2, 3]' });
    expect(array.status).toBe(400);
    const empty = await http.unchecked().send(route, { params: idParams(route, ':id'), token, body: {} });
    expect(empty.status).toBe(400);
    expect(empty.error?.fields?.length).toBeGreaterThan(0);
  });

  describe('a stranger patient who sends the owner’s real ids', () => {
    let owner: RegisteredUser;
    let stranger: RegisteredUser;
    const ids = {} as OwnedIds;
    const routesWithId = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].path.includes(':id'));

    beforeAll(async () => {
      owner = await registerUser(api);
      stranger = await registerUser(api);
      const folder = await owner.client.send(ROUTES.createFolder, { token: owner.token, body: { name: sealedBlob(20) } });
      const recordId = (await uploadRecord(owner, 100, folder.body.id)).summary.id;
      const consent = await owner.client.send(ROUTES.createConsent, {
        token: owner.token,
        body: { doctorId: userIds.doctor, scope: 'record', recordId, wraps: [{ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }] },
      });
      if (consent.status !== 201) throw new Error(`consent failed: ${consent.status} ${consent.text}`);
      const sessions = await owner.client.send(ROUTES.listSessions, { token: owner.token });
      if (sessions.status !== 200) throw new Error(`session list failed: ${sessions.status} ${sessions.text}`);
      const securityKey = await enrolSecurityKey(owner, new SoftAuthenticator());
      const contact = await registerUser(api);
      const named = await owner.client.send(ROUTES.nameTrustedContact, {
        token: owner.token,
        body: { contactId: contact.userId, email: contact.request.email, scope: 'folder', folderId: folder.body.id, waitDays: 3, fingerprint: fingerprintOf(contact), wraps: [{ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }] },
      });
      if (named.status !== 201) throw new Error(`naming a trusted contact failed: ${named.status} ${named.text}`);
      Object.assign(ids, {
        userId: owner.userId,
        recordId,
        folderId: folder.body.id,
        consentId: consent.body.id,
        sessionId: sessions.body.items[0].id,
        securityKeyId: securityKey.id,
        trustedContactId: named.body.id,
      });
    });

    /** What the owner sees of the rows a stranger named: must not change. */
    const ownerView = async () => ({
      record: (await owner.client.send(ROUTES.getRecord, { params: { id: ids.recordId }, token: owner.token })).status,
      folders: (await owner.client.send(ROUTES.listFolders, { token: owner.token })).body,
      consents: (await owner.client.send(ROUTES.listConsents, { token: owner.token })).body,
      sessions: (await owner.client.send(ROUTES.listSessions, { token: owner.token })).body,
      securityKeys: (await owner.client.send(ROUTES.listSecurityKeys, { token: owner.token })).body,
      trustedContacts: (await owner.client.send(ROUTES.listTrustedContacts, { token: owner.token })).body,
    });

    it('has a stranger case for every route that takes an id in its path', () => {
      expect(Object.keys(STRANGER_CALLS).sort()).toEqual(routesWithId.sort());
    });

    it.each(routesWithId)('%s answers a stranger as the table says and changes nothing', async (name) => {
      const route = ROUTES[name];
      const expected = STRANGER_CALLS[name];
      if (!expected) throw new Error(`${name} takes an id in its path but has no entry in STRANGER_CALLS (backend/test/support/route-access.ts)`);
      const callWith = (id: string) => http.unchecked().send(route, { params: { ...idParams(route, id), ...expected.params?.() }, token: stranger.token, body: expected.body?.() });
      const before = await ownerView();
      const answer = await callWith(ids[expected.names]);
      if (expected.answer === 'allowed') {
        expect(answer.status).toBe(200);
      } else if (expected.answer === 'forbidden') {
        expect(answer.status).toBe(403);
      } else {
        const missing = await callWith(randomUUID());
        expect(answer.status).toBe(404);
        expect({ ...answer.error, requestId: '' }).toEqual({ ...missing.error, requestId: '' });
      }
      expect(await ownerView()).toEqual(before);
    });
  });

  describe.each(protectedRoutes)('%s', (name) => {
    it('refuses a request without a token with 401', async () => {
      const response = await call(name);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('refuses every kind of bad token with 401', async () => {
      for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, userIds.patient, sessionIdOf(tokens.patient)))) {
        const response = await call(name, token);
        expect({ kind, status: response.status }).toEqual({ kind, status: 401 });
      }
    });

    it.each(ROLES)('answers the %s role as the access table says', async (role) => {
      const response = await call(name, tokens[role]);
      const allowed = (ROUTE_ACCESS[name] as readonly Role[]).includes(role);
      if (allowed) expect([401, 403]).not.toContain(response.status);
      else expect(response.status).toBe(403);
    });
  });
});
