import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DOCTOR_WRAP_BYTES,
  ERROR_CODES,
  ROUTES,
  type CreateConsentRequest,
  type ErrorResponse,
  type ListConsentsQuery,
} from '@phr/shared-types';
import { ConsentSweeper } from '../src/jobs/consent-sweeper.js';
import { auditRowsOf } from './support/audit.js';
import { insertAuditor, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { commit, commitRequest, presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { forgeToken, sessionIdOf, sessionTokenFor } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps, the browser suite makes real ones. */
const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

describe('consents: patients grant and revoke, doctors read (DESIGN 5, 6)', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let eve: RegisteredUser;
  let drHouse: RegisteredUser;
  let drWho: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    eve = await registerUser(api);
    drHouse = await registerUser(api, 'doctor', { displayName: 'Gregory House', specialty: 'Diagnostics' });
    drWho = await registerUser(api, 'doctor', { displayName: 'John Smith' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const grant = (patient: RegisteredUser, body: CreateConsentRequest) => patient.client.send(ROUTES.createConsent, { token: patient.token, body });
  /** A grant whose body the contract forbids, on purpose. */
  const grantUnchecked = (patient: RegisteredUser, body: unknown) => patient.client.unchecked().send(ROUTES.createConsent, { token: patient.token, body });
  const revoke = (user: RegisteredUser, id: string) => user.client.send(ROUTES.updateConsent, { params: { id }, token: user.token, body: { status: 'revoked' } });
  const read = (user: RegisteredUser, recordId: string) => user.client.send(ROUTES.getRecord, { params: { id: recordId }, token: user.token });
  const listRecords = (user: RegisteredUser) => user.client.send(ROUTES.listRecords, { token: user.token });
  const consents = (user: RegisteredUser, query: ListConsentsQuery = {}) => user.client.send(ROUTES.listConsents, { token: user.token, query });
  const createFolder = async (user: RegisteredUser) =>
    (await user.client.send(ROUTES.createFolder, { token: user.token, body: { name: sealedBlob(20) } })).body.id;
  const wrapsOf = (doctor: RegisteredUser) => api.adminQuery<{ record_id: string }>('SELECT record_id FROM record_wraps WHERE recipient_id = $1', [doctor.userId]);
  const denials = async (patient: RegisteredUser, recordId: string) =>
    (await auditRowsOf(api, patient.userId)).filter((row) => row.record_id === recordId && row.outcome === 'deny').map((row) => [row.action, row.actor_id, row.reason]);

  describe('finding a doctor', () => {
    it('finds doctors by a fragment of name or email, with specialty, public key and fingerprint, and never a patient', async () => {
      const byName = await alice.client.send(ROUTES.searchDoctors, { body: { q: 'house' }, token: alice.token });
      expect(byName.status).toBe(200);
      expect(byName.body.items).toEqual([
        {
          id: drHouse.userId,
          displayName: 'Gregory House',
          specialty: 'Diagnostics',
          publicKey: drHouse.request.keys.publicKey,
          fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
          organisation: 'St Mary’s Hospital',
          verifiedBy: 'Credentialing office',
          verifiedAt: expect.any(String),
          looksLikeAnother: false,
        },
      ]);
      const byEmail = await alice.client.send(ROUTES.searchDoctors, { body: { q: drWho.request.email.slice(0, 14) }, token: alice.token });
      expect(byEmail.body.items.map((doctor) => doctor.id)).toEqual([drWho.userId]);
      const patients = await alice.client.send(ROUTES.searchDoctors, { body: { q: eve.request.email.slice(0, 14) }, token: alice.token });
      expect(patients.body.items).toEqual([]);
    });

    it('treats % and _ as letters, not wildcards', async () => {
      const response = await alice.client.send(ROUTES.searchDoctors, { body: { q: '%%' }, token: alice.token });
      expect(response.body.items).toEqual([]);
    });

    it.each<[string, unknown]>([
      ['a one-letter fragment', { q: 'a' }],
      ['no fragment', {}],
      ['a fragment over 100 characters', { q: 'x'.repeat(101) }],
      ['a fragment that is no string', { q: 42 }],
      ['a fragment of two lines', { q: 'house\nwho' }],
    ])('answers a body with %s with 400 naming q', async (_case, body) => {
      // Bodies the contract forbids, sent as written.
      const response = await alice.client.unchecked().send(ROUTES.searchDoctors, { token: alice.token, body });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('q');
    });

    it('answers a body that is no JSON object with 400, and a field it does not know with 400 naming it', async () => {
      const broken = await alice.client.unchecked().send(ROUTES.searchDoctors, { token: alice.token, rawBody: '{"q": "hou' });
      expect({ status: broken.status, field: broken.error?.fields?.[0].field }).toEqual({ status: 400, field: 'body' });
      const widened = await alice.client.unchecked().send(ROUTES.searchDoctors, { token: alice.token, body: { q: 'house', limit: 1000 } });
      expect({ status: widened.status, field: widened.error?.fields?.[0].field }).toEqual({ status: 400, field: 'limit' });
    });

    it('refuses a doctor, an auditor and an operator with 403, audited in the caller’s trail with the route', async () => {
      const auditorId = await insertAuditor(api.adminQuery);
      const operatorId = await insertAuditor(api.adminQuery, 'operator');
      const callers = [
        { role: 'doctor', userId: drHouse.userId, token: drHouse.token },
        { role: 'auditor', userId: auditorId, token: await sessionTokenFor(api, auditorId, 'auditor') },
        { role: 'operator', userId: operatorId, token: await sessionTokenFor(api, operatorId, 'operator') },
      ] as const;
      for (const caller of callers) {
        const response = await alice.client.send(ROUTES.searchDoctors, { token: caller.token, body: { q: 'house' } });
        expect({ role: caller.role, status: response.status, code: response.error?.code }).toEqual({ role: caller.role, status: 403, code: ERROR_CODES.forbidden });
        const refusal = (await auditRowsOf(api, caller.userId)).at(-1);
        expect(refusal).toMatchObject({ action: 'route.access', outcome: 'deny', reason: `role ${caller.role} may not use POST /api/doctors/search` });
      }
    });

    it('refuses a call without a token, or with a forged one, with 401', async () => {
      const forged = forgeToken(randomBytes(32).toString('base64'), { userId: alice.userId, sessionId: sessionIdOf(alice.token) });
      for (const token of [undefined, forged]) {
        const response = await alice.client.send(ROUTES.searchDoctors, { token, body: { q: 'house' } });
        expect({ isForged: token !== undefined, status: response.status, code: response.error?.code }).toEqual({ isForged: token !== undefined, status: 401, code: ERROR_CODES.unauthenticated });
      }
    });

    it('has no GET form: a fragment in the query string finds nothing and is not served (404)', async () => {
      for (const path of ['/api/doctors?q=house', '/api/doctors/search?q=house']) {
        const response = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${alice.token}` } });
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
        expect(await response.text()).not.toContain('Gregory House');
      }
    });
  });

  describe('granting', () => {
    it('shares one record: the doctor lists and reads it with their own wrap, and the read lands in the patient’s trail', async () => {
      const { summary } = await uploadRecord(alice);
      const { summary: other } = await uploadRecord(alice);
      const wrap = doctorWrap();
      const granted = await grant(alice, { doctorId: drHouse.userId, scope: 'record', recordId: summary.id, purpose: 'Second opinion', wraps: [{ recordId: summary.id, wrap }] });
      expect(granted.status).toBe(201);
      expect(granted.body).toMatchObject({ patientId: alice.userId, doctorId: drHouse.userId, doctorName: 'Gregory House', scope: 'record', recordId: summary.id, status: 'active', purpose: 'Second opinion', expiresAt: null });

      const detail = await read(drHouse, summary.id);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ id: summary.id, ownerId: alice.userId, wrap, metadata: summary.metadata });
      expect(detail.body.segments).toHaveLength(1);
      expect((await listRecords(drHouse)).body.items.map((item) => item.id)).toEqual([summary.id]);
      expect((await read(drHouse, other.id)).status).toBe(404);

      const rows = (await auditRowsOf(api, alice.userId)).filter((row) => row.record_id === summary.id || row.consent_id === granted.body.id);
      expect(rows.map((row) => `${row.action}:${row.outcome}:${row.actor_id === drHouse.userId ? 'doctor' : 'patient'}`)).toEqual(
        expect.arrayContaining(['consent.grant:allow:patient', 'record.read:allow:doctor']),
      );
      expect(await denials(alice, other.id)).toEqual([['record.read', drHouse.userId, 'no active consent and wrap']]);
    });

    it('shares a folder: every record in it and nothing outside', async () => {
      const carol = await registerUser(api);
      const folderId = await createFolder(carol);
      const inside = [(await uploadRecord(carol, 10, folderId)).summary.id, (await uploadRecord(carol, 10, folderId)).summary.id];
      const outside = (await uploadRecord(carol, 10)).summary.id;
      const granted = await grant(carol, { doctorId: drWho.userId, scope: 'folder', folderId, wraps: inside.map((recordId) => ({ recordId, wrap: doctorWrap() })) });
      expect(granted.status).toBe(201);
      for (const id of inside) expect((await read(drWho, id)).status).toBe(200);
      expect((await read(drWho, outside)).status).toBe(404);
      const listed = await drWho.client.send(ROUTES.listRecords, { query: { ownerId: carol.userId }, token: drWho.token });
      expect(listed.body.items.map((item) => item.id).sort()).toEqual([...inside].sort());
    });

    it('shares everything, and a second doctor sees nothing of it', async () => {
      const dan = await registerUser(api);
      const ids = [(await uploadRecord(dan)).summary.id, (await uploadRecord(dan, 10, await createFolder(dan))).summary.id];
      expect((await grant(dan, { doctorId: drHouse.userId, scope: 'all', wraps: ids.map((recordId) => ({ recordId, wrap: doctorWrap() })) })).status).toBe(201);
      for (const id of ids) {
        expect((await read(drHouse, id)).status).toBe(200);
        const other = await read(drWho, id);
        expect(other.status).toBe(404);
        expect(other.body).toMatchObject({ code: ERROR_CODES.notFound, message: 'No such record' });
      }
      expect((await consents(drWho)).body.items.map((consent) => consent.patientId)).not.toContain(dan.userId);
      expect(await denials(dan, ids[0])).toEqual([['record.read', drWho.userId, 'no active consent and wrap']]);
    });
  });

  describe('grants that do not add up are refused, and nothing is created', () => {
    let folderId: string;
    let inFolder: string;
    let elsewhere: string;
    let evesRecord: string;

    beforeAll(async () => {
      folderId = await createFolder(alice);
      inFolder = (await uploadRecord(alice, 10, folderId)).summary.id;
      elsewhere = (await uploadRecord(alice, 10)).summary.id;
      evesRecord = (await uploadRecord(eve)).summary.id;
    });
    const consentCount = async () => (await api.adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM consents'))[0].n;

    it.each([
      ['a wrap missing for a record in scope', () => ({ scope: 'folder', folderId, wraps: [] })],
      ['a wrap for a record outside the scope', () => ({ scope: 'folder', folderId, wraps: [{ recordId: inFolder, wrap: doctorWrap() }, { recordId: elsewhere, wrap: doctorWrap() }] })],
      ['a wrap for another patient’s record', () => ({ scope: 'folder', folderId, wraps: [{ recordId: inFolder, wrap: doctorWrap() }, { recordId: evesRecord, wrap: doctorWrap() }] })],
      ['the same record wrapped twice', () => ({ scope: 'folder', folderId, wraps: [{ recordId: inFolder, wrap: doctorWrap() }, { recordId: inFolder, wrap: doctorWrap() }] })],
    ] as const)('refuses %s with 400 WRAPS_MISMATCH', async (_case, body) => {
      const before = await consentCount();
      const response = await grantUnchecked(alice, { doctorId: drWho.userId, ...body() });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: ERROR_CODES.wrapsMismatch, fields: [{ field: 'wraps' }] });
      expect(await consentCount()).toBe(before);
      expect((await read(drWho, inFolder)).status).toBe(404);
    });

    it('answers a consent for another patient’s record like a missing one: 404, and a deny row in that patient’s trail', async () => {
      const response = await grant(alice, { doctorId: drWho.userId, scope: 'record', recordId: evesRecord, wraps: [{ recordId: evesRecord, wrap: doctorWrap() }] });
      expect(response.status).toBe(404);
      expect(await denials(eve, evesRecord)).toContainEqual(['consent.grant', alice.userId, 'not the owner']);
      expect((await read(drWho, evesRecord)).status).toBe(404);
    });

    it.each([
      ['a patient as the doctor', () => ({ doctorId: eve.userId, scope: 'all', wraps: [] }), 'doctorId'],
      ['an unknown doctor', () => ({ doctorId: randomUUID(), scope: 'all', wraps: [] }), 'doctorId'],
      ['an expiry in the past', () => ({ doctorId: drWho.userId, scope: 'record', recordId: inFolder, expiresAt: '2020-01-01T00:00:00.000Z', wraps: [] }), 'expiresAt'],
      ['scope record without recordId', () => ({ doctorId: drWho.userId, scope: 'record', wraps: [] }), 'recordId'],
      ['scope all with a folderId', () => ({ doctorId: drWho.userId, scope: 'all', folderId, wraps: [] }), 'folderId'],
      ['another patient’s folder', () => ({ doctorId: drWho.userId, scope: 'folder', folderId: randomUUID(), wraps: [] }), 'folderId'],
      ['an unknown scope', () => ({ doctorId: drWho.userId, scope: 'everything', wraps: [] }), 'scope'],
      ['a wrap of the wrong size', () => ({ doctorId: drWho.userId, scope: 'record', recordId: inFolder, wraps: [{ recordId: inFolder, wrap: sealedBlob() }] }), 'wraps.0.wrap'],
      ['no wraps at all', () => ({ doctorId: drWho.userId, scope: 'record', recordId: inFolder }), 'wraps'],
      ['a purpose too long', () => ({ doctorId: drWho.userId, scope: 'record', recordId: inFolder, purpose: 'x'.repeat(201), wraps: [] }), 'purpose'],
    ] as const)('answers %s with 400 naming the field', async (_case, body, field) => {
      const before = await consentCount();
      const response = await grantUnchecked(alice, body());
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
      expect(await consentCount()).toBe(before);
    });
  });

  describe('revoking and expiry', () => {
    it('revokes in one step: the doctor’s next read is a 410 saying who withdrew access and when, with a deny row; the wraps are gone, the list is empty', async () => {
      const frank = await registerUser(api);
      const { summary } = await uploadRecord(frank);
      const granted = await grant(frank, { doctorId: drWho.userId, scope: 'record', recordId: summary.id, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      expect((await read(drWho, summary.id)).status).toBe(200);

      const revoked = await revoke(frank, granted.body.id);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
      const refused = await read(drWho, summary.id);
      expect(refused.status).toBe(410);
      expect(refused.body).toMatchObject({
        code: ERROR_CODES.accessEnded,
        message: `${frank.request.displayName} withdrew access on ${(revoked.body.revokedAt ?? '').slice(0, 10)}`,
        accessEnded: { reason: 'revoked', patientName: frank.request.displayName, endedAt: revoked.body.revokedAt },
      });
      expect((await wrapsOf(drWho)).map((row) => row.record_id)).not.toContain(summary.id);
      expect((await drWho.client.send(ROUTES.listRecords, { query: { ownerId: frank.userId }, token: drWho.token })).body.items).toEqual([]);
      expect(await denials(frank, summary.id)).toEqual([['record.read', drWho.userId, 'consent revoked']]);
      // Only the doctor the consent was granted to is told: another doctor gets the usual 404.
      const stranger = await read(drHouse, summary.id);
      expect(stranger.status).toBe(404);
      expect(stranger.body).not.toHaveProperty('accessEnded');
      expect((await consents(frank, { status: 'revoked' })).body.items.map((consent) => consent.id)).toEqual([granted.body.id]);
      expect((await consents(frank, { status: 'active' })).body.items).toEqual([]);

      const again = await revoke(frank, granted.body.id);
      expect(again.status).toBe(409);
      expect(again.error?.code).toBe(ERROR_CODES.consentNotActive);
    });

    it('keeps a wrap another active consent still covers', async () => {
      const gina = await registerUser(api);
      const folderId = await createFolder(gina);
      const { summary } = await uploadRecord(gina, 10, folderId);
      const byFolder = await grant(gina, { doctorId: drHouse.userId, scope: 'folder', folderId, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      await grant(gina, { doctorId: drHouse.userId, scope: 'all', wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      await revoke(gina, byFolder.body.id);
      expect((await read(drHouse, summary.id)).status).toBe(200);
    });

    it('counts a consent past its expiry as revoked at once; the sweep marks it expired and removes the wraps', async () => {
      const hal = await registerUser(api);
      const { summary } = await uploadRecord(hal);
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const granted = await grant(hal, { doctorId: drHouse.userId, scope: 'record', recordId: summary.id, expiresAt, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      expect(granted.body.expiresAt).toBe(expiresAt);
      expect((await read(drHouse, summary.id)).status).toBe(200);

      const ended = await api.adminQuery<{ expires_at: Date }>(`UPDATE consents SET expires_at = now() - interval '1 second' WHERE id = $1 RETURNING expires_at`, [granted.body.id]);
      const refused = await read(drHouse, summary.id);
      expect(refused.status).toBe(410);
      expect(refused.error?.accessEnded).toEqual({ reason: 'expired', patientName: hal.request.displayName, endedAt: ended[0].expires_at.toISOString() });
      expect(refused.error?.message).toBe(`${hal.request.displayName} gave access that expired on ${ended[0].expires_at.toISOString().slice(0, 10)}`);
      expect((await consents(hal, { status: 'expired' })).body.items.map((consent) => consent.id)).toEqual([granted.body.id]);
      expect((await wrapsOf(drHouse)).map((row) => row.record_id)).toContain(summary.id);

      expect(await api.app.get(ConsentSweeper).sweep()).toContain(granted.body.id);
      expect((await wrapsOf(drHouse)).map((row) => row.record_id)).not.toContain(summary.id);
      expect(await api.adminQuery('SELECT status FROM consents WHERE id = $1', [granted.body.id])).toEqual([{ status: 'expired' }]);
      const rows = (await auditRowsOf(api, hal.userId)).filter((row) => row.consent_id === granted.body.id);
      // The doctor's read happened under this consent, and its row says so (issue 13).
      // The refused read names the consent that ended.
      expect(rows.map((row) => `${row.action}:${row.outcome}`)).toEqual(['consent.grant:allow', 'record.read:allow', 'record.read:deny', 'consent.expire:allow']);
      // The sweep is a job: the trail names it as `system`, not as the patient who never acted.
      expect(rows.map((row) => [row.actor_id, row.actor_role])).toEqual([[hal.userId, 'patient'], [drHouse.userId, 'doctor'], [drHouse.userId, 'doctor'], [null, 'system']]);
      expect(rows[3].request_id).toBe('job:consent-expiry');
      expect(await api.app.get(ConsentSweeper).sweep()).not.toContain(granted.body.id);
    });

    it('refuses a doctor with a consent but no wrap', async () => {
      const ida = await registerUser(api);
      const { summary } = await uploadRecord(ida);
      await grant(ida, { doctorId: drWho.userId, scope: 'record', recordId: summary.id, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      await api.adminQuery('DELETE FROM record_wraps WHERE record_id = $1 AND recipient_id = $2', [summary.id, drWho.userId]);
      expect((await read(drWho, summary.id)).status).toBe(404);
      expect(await denials(ida, summary.id)).toEqual([['record.read', drWho.userId, 'no active consent and wrap']]);
    });

    it('lets neither the doctor nor another patient revoke, and shows each party only their own consents', async () => {
      const jo = await registerUser(api);
      const { summary } = await uploadRecord(jo);
      const granted = await grant(jo, { doctorId: drHouse.userId, scope: 'record', recordId: summary.id, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      expect((await revoke(drHouse, granted.body.id)).status).toBe(403);
      expect((await revoke(eve, granted.body.id)).status).toBe(404);
      expect((await consents(eve)).body.items.map((consent) => consent.id)).not.toContain(granted.body.id);
      const received = (await consents(drHouse)).body.items.find((consent) => consent.id === granted.body.id);
      expect(received).toMatchObject({ patientName: 'Test Patient', doctorName: 'Gregory House', status: 'active' });
      expect((await read(drHouse, summary.id)).status).toBe(200);
    });

    it.each([
      ['a status other than revoked', { status: 'active' }, 'status'],
      ['no status', {}, 'status'],
    ])('answers a revoke with %s with 400', async (_case, body, field) => {
      // Bodies the contract forbids, on purpose.
      const response = await alice.client.unchecked().send(ROUTES.updateConsent, { params: { id: randomUUID() }, token: alice.token, body });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe(field);
    });

    it('answers a consent id that is no UUID with 400, and ?status=other with 400', async () => {
      expect((await revoke(alice, 'consent-1')).status).toBe(400);
      // A status the contract does not know, on purpose.
      expect((await alice.client.unchecked().send(ROUTES.listConsents, { query: { status: 'paused' }, token: alice.token })).status).toBe(400);
    });
  });

  describe('listing in pages', () => {
    /** Every page of the caller's consents with this query, and the cursors that led to them. */
    const walk = async (user: RegisteredUser, query: ListConsentsQuery) => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await consents(user, { ...query, cursor });
        expect(page.status).toBe(200);
        pages.push(page.body.items.map((consent) => consent.id));
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      return pages;
    };

    it('pages a patient’s consents newest first with no gap or repeat, and filters by the status they have now', async () => {
      const kim = await registerUser(api);
      const granted: string[] = [];
      for (const doctor of [drHouse, drWho, drHouse, drWho, drHouse]) {
        granted.push((await grant(kim, { doctorId: doctor.userId, scope: 'all', wraps: [] })).body.id);
      }
      expect((await revoke(kim, granted[1])).status).toBe(200);
      await api.adminQuery(`UPDATE consents SET expires_at = now() - interval '1 second' WHERE id = $1`, [granted[3]]);

      expect(await walk(kim, { limit: 2 })).toEqual([granted.slice(3).reverse(), granted.slice(1, 3).reverse(), [granted[0]]]);
      expect(await walk(kim, { status: 'active', limit: 2 })).toEqual([[granted[4], granted[2]], [granted[0]]]);
      expect(await walk(kim, { status: 'expired', limit: 2 })).toEqual([[granted[3]]]);
      expect(await walk(kim, { status: 'revoked' })).toEqual([[granted[1]]]);
      const firstPage = await consents(kim, { limit: 5 });
      expect(firstPage.body.nextCursor).toBeNull();
      expect(firstPage.body.items.map((consent) => [consent.doctorName, consent.patientName])).toEqual([
        ['Gregory House', kim.request.displayName],
        ['John Smith', kim.request.displayName],
        ['Gregory House', kim.request.displayName],
        ['John Smith', kim.request.displayName],
        ['Gregory House', kim.request.displayName],
      ]);
    });

    it('files a doctor’s consent.list only in the trails of the patients on the page', async () => {
      const drPage = await registerUser(api, 'doctor', { displayName: 'Paige Turner' });
      const patients = [await registerUser(api), await registerUser(api), await registerUser(api)];
      for (const patient of patients) expect((await grant(patient, { doctorId: drPage.userId, scope: 'all', wraps: [] })).status).toBe(201);
      const listRows = async (patient: RegisteredUser) => (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.list' && row.actor_id === drPage.userId);

      const first = await consents(drPage, { limit: 1 });
      expect(first.body.items.map((consent) => consent.patientId)).toEqual([patients[2].userId]);
      const second = await consents(drPage, { limit: 1, cursor: first.body.nextCursor ?? undefined });
      expect(second.body.items.map((consent) => consent.patientId)).toEqual([patients[1].userId]);
      expect(second.body.nextCursor).not.toBeNull();

      expect((await listRows(patients[2])).map((row) => row.reason)).toEqual(['1 consent(s)']);
      expect((await listRows(patients[1])).map((row) => row.reason)).toEqual(['1 consent(s)']);
      expect(await listRows(patients[0])).toEqual([]);
    });

    it('pages consents written with microseconds (a restore, now() in SQL) with no gap or repeat', async () => {
      const noor = await registerUser(api);
      // Four consents in one millisecond, microseconds apart, as an operator's script would write them.
      const rows = await api.adminQuery<{ id: string }>(
        `INSERT INTO consents (id, patient_id, doctor_id, scope, purpose, status, created_at)
         SELECT gen_random_uuid(), $1, $2, 'all', 'Ongoing care', 'active', timestamptz '2026-06-01 12:00:00.123Z' + make_interval(secs => n / 1e6)
         FROM generate_series(100, 400, 100) AS n RETURNING id`,
        [noor.userId, drHouse.userId],
      );
      expect((await walk(noor, { limit: 1 })).flat()).toEqual(rows.map((row) => row.id).sort().reverse());
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a cursor this API did not issue', { cursor: Buffer.from('["yesterday","x"]').toString('base64url') }, 'cursor'],
      ['a cursor that is no base64url', { cursor: 'not a cursor!' }, 'cursor'],
      ['a limit of 0', { limit: 0 }, 'limit'],
      ['a limit over 100', { limit: 101 }, 'limit'],
      ['a limit that is no number', { limit: 'ten' }, 'limit'],
    ])('answers %s with 400 naming the field', async (_case, query, field) => {
      // Queries the contract forbids, on purpose.
      const response = await alice.client.unchecked().send(ROUTES.listConsents, { query, token: alice.token });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toEqual([field]);
    });
  });

  describe('doctors are read-only', () => {
    it('refuses every write on a shared record, its folder and the patient’s consents with 403, and changes nothing', async () => {
      const kim = await registerUser(api);
      const folderId = await createFolder(kim);
      const { summary } = await uploadRecord(kim, 10, folderId);
      const granted = await grant(kim, { doctorId: drWho.userId, scope: 'folder', folderId, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      const token = drWho.token;
      const attempts = [
        drWho.client.send(ROUTES.deleteRecord, { params: { id: summary.id }, token }),
        drWho.client.send(ROUTES.deleteFolder, { params: { id: folderId }, token }),
        drWho.client.send(ROUTES.renameFolder, { params: { id: folderId }, token, body: { name: sealedBlob(20) } }),
        drWho.client.send(ROUTES.presignUpload, { token, body: { size: 10 } }),
        drWho.client.send(ROUTES.commitRecord, { token, body: commitRequest(summary.id, folderId) }),
        drWho.client.send(ROUTES.createConsent, { token, body: { doctorId: drWho.userId, scope: 'all', wraps: [] } }),
        revoke(drWho, granted.body.id),
      ];
      for (const response of await Promise.all(attempts)) expect(response.status).toBe(403);
      expect((await read(kim, summary.id)).status).toBe(200);
      expect((await read(drWho, summary.id)).status).toBe(200);
    });
  });

  describe('new records in a shared scope', () => {
    it('refuses a commit into a shared folder without the doctor’s wrap, then accepts it with the wrap, and the doctor reads it', async () => {
      const lee = await registerUser(api);
      const folderId = await createFolder(lee);
      await grant(lee, { doctorId: drHouse.userId, scope: 'folder', folderId, wraps: [] });
      const upload = await presign(lee, 10);
      await putSegments(upload, segmentBodies(10));

      const without = await commit(lee, commitRequest(upload.recordId, folderId));
      expect(without.status).toBe(409);
      expect(without.body).toMatchObject({ code: ERROR_CODES.doctorWrapMissing, message: expect.stringContaining(drHouse.userId) });
      expect(await api.adminQuery('SELECT id FROM records WHERE id = $1', [upload.recordId])).toHaveLength(0);

      const stranger = await commit(lee, { ...commitRequest(upload.recordId, folderId), doctorWraps: [{ doctorId: drHouse.userId, wrap: doctorWrap() }, { doctorId: drWho.userId, wrap: doctorWrap() }] });
      expect(stranger.status).toBe(400);
      expect((stranger.body as unknown as ErrorResponse).fields?.[0].field).toBe('doctorWraps');

      const withWrap = await commit(lee, { ...commitRequest(upload.recordId, folderId), doctorWraps: [{ doctorId: drHouse.userId, wrap: doctorWrap() }] });
      expect(withWrap.status).toBe(201);
      expect((await read(drHouse, upload.recordId)).status).toBe(200);
      expect((await read(drWho, upload.recordId)).status).toBe(404);
    });

    it('needs no doctor wrap outside the shared folder', async () => {
      const mo = await registerUser(api);
      const folderId = await createFolder(mo);
      await grant(mo, { doctorId: drHouse.userId, scope: 'folder', folderId, wraps: [] });
      const { summary } = await uploadRecord(mo, 10);
      expect((await read(drHouse, summary.id)).status).toBe(404);
    });
  });
});
