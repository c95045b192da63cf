import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES, type Consent, type CreateConsentRequest } from '@phr/shared-types';
import { ConsentSweeper } from '../src/jobs/consent-sweeper.js';
import { auditRowsOf } from './support/audit.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { commit, commitRequest, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, sessionIdOf } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps. */
const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

/**
 * The one record-access policy (issue 13): RecordAccess decides every read of a
 * record by id (ConsentGuard), audits a doctor's read with the consent that
 * allowed it, refuses with a 404 and a deny row, and names the doctors a new
 * upload must be wrapped for.
 */
describe('record access: one policy, audited with the consent that allowed it', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let drHouse: RegisteredUser;
  let drWho: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    bob = await registerUser(api);
    drHouse = await registerUser(api, 'doctor', { displayName: 'Gregory House' });
    drWho = await registerUser(api, 'doctor', { displayName: 'John Smith' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const createFolder = async (user: RegisteredUser) =>
    (await user.client.send(ROUTES.createFolder, { token: user.token, body: { name: sealedBlob(20) } })).body.id;
  const grant = async (patient: RegisteredUser, body: CreateConsentRequest): Promise<Consent> => {
    const response = await patient.client.send(ROUTES.createConsent, { token: patient.token, body });
    if (response.status !== 201) throw new Error(`grant failed: ${response.status} ${response.text}`);
    return response.body;
  };
  // Unchecked: some cases send bodies the contract forbids, to see them refused.
  const patchConsent = (user: RegisteredUser, id: string, body: unknown) => user.client.unchecked().send(ROUTES.updateConsent, { params: { id }, token: user.token, body });
  const read = (user: RegisteredUser, recordId: string, token = user.token) => user.client.send(ROUTES.getRecord, { params: { id: recordId }, token });
  const presignFor = (user: RegisteredUser, body: { size: number; folderId?: string }) =>
    user.client.send(ROUTES.presignUpload, { token: user.token, body });
  const rowsOf = async (patient: RegisteredUser, recordId: string, action: string) =>
    (await auditRowsOf(api, patient.userId)).filter((row) => row.record_id === recordId && row.action === action).map((row) => ({ outcome: row.outcome, actor: row.actor_id, consent: row.consent_id, reason: row.reason }));

  describe('a doctor’s read', () => {
    it('is audited in the patient’s trail with the id of the consent that allowed it', async () => {
      const patient = await registerUser(api);
      const { summary } = await uploadRecord(patient);
      const consent = await grant(patient, { doctorId: drHouse.userId, scope: 'all', wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      const response = await read(drHouse, summary.id);
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(summary.id);
      expect(await rowsOf(patient, summary.id, 'record.read')).toEqual([{ outcome: 'allow', actor: drHouse.userId, consent: consent.id, reason: 'consented doctor' }]);
    });

    it('names the narrowest consent in force: the record’s own, then its folder’s, then everything', async () => {
      const patient = await registerUser(api);
      const folderId = await createFolder(patient);
      const { summary } = await uploadRecord(patient, 1000, folderId);
      const wraps = [{ recordId: summary.id, wrap: doctorWrap() }];
      const all = await grant(patient, { doctorId: drWho.userId, scope: 'all', wraps });
      const folder = await grant(patient, { doctorId: drWho.userId, scope: 'folder', folderId, wraps });
      expect((await read(drWho, summary.id)).status).toBe(200);
      const single = await grant(patient, { doctorId: drWho.userId, scope: 'record', recordId: summary.id, wraps });
      expect((await read(drWho, summary.id)).status).toBe(200);
      // Revoking the narrowest leaves the folder's consent in force, and the read happens under it.
      expect((await patchConsent(patient, single.id, { status: 'revoked' })).status).toBe(200);
      expect((await read(drWho, summary.id)).status).toBe(200);
      expect((await patchConsent(patient, folder.id, { status: 'revoked' })).status).toBe(200);
      expect((await read(drWho, summary.id)).status).toBe(200);
      expect((await rowsOf(patient, summary.id, 'record.read')).map((row) => row.consent)).toEqual([folder.id, single.id, folder.id, all.id]);
    });

    it('under a revoked consent: 410 ACCESS_ENDED to the doctor it was granted to (they read it once), with a deny row naming the consent', async () => {
      const patient = await registerUser(api);
      const { summary } = await uploadRecord(patient);
      const consent = await grant(patient, { doctorId: drHouse.userId, scope: 'record', recordId: summary.id, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      expect((await patchConsent(patient, consent.id, { status: 'revoked' })).status).toBe(200);
      const response = await read(drHouse, summary.id);
      expect(response.status).toBe(410);
      expect(response.error?.code).toBe(ERROR_CODES.accessEnded);
      expect(response.error?.accessEnded).toMatchObject({ reason: 'revoked', patientName: patient.request.displayName });
      // Any other id, and any other doctor, still learn nothing.
      expect((await read(drHouse, randomUUID())).error?.message).toBe('No such record');
      expect((await read(drWho, summary.id)).error?.message).toBe('No such record');
      expect(await rowsOf(patient, summary.id, 'record.read')).toEqual([
        { outcome: 'deny', actor: drHouse.userId, consent: consent.id, reason: 'consent revoked' },
        { outcome: 'deny', actor: drWho.userId, consent: null, reason: 'no active consent and wrap' },
      ]);
    });

    it('under an expired consent: 410 ACCESS_ENDED with the expiry, before and after the sweep marks it expired', async () => {
      const patient = await registerUser(api);
      const { summary } = await uploadRecord(patient);
      const consent = await grant(patient, { doctorId: drHouse.userId, scope: 'all', wraps: [{ recordId: summary.id, wrap: doctorWrap() }] });
      expect((await read(drHouse, summary.id)).status).toBe(200);
      await api.adminQuery(`UPDATE consents SET expires_at = now() - interval '1 second' WHERE id = $1`, [consent.id]);
      expect((await read(drHouse, summary.id)).error?.accessEnded?.reason).toBe('expired');
      await api.app.get(ConsentSweeper).sweep();
      expect((await read(drHouse, summary.id)).error?.accessEnded?.reason).toBe('expired');
      expect((await rowsOf(patient, summary.id, 'record.read')).map((row) => `${row.outcome}:${row.consent ?? '-'}`)).toEqual([`allow:${consent.id}`, `deny:${consent.id}`, `deny:${consent.id}`]);
    });
  });

  describe('refusals', () => {
    let recordId: string;
    beforeAll(async () => {
      recordId = (await uploadRecord(alice)).summary.id;
    });

    it('another patient: 404 with a deny row in the owner’s trail, and so for a delete', async () => {
      expect((await read(bob, recordId)).status).toBe(404);
      expect((await bob.client.send(ROUTES.deleteRecord, { params: { id: recordId }, token: bob.token })).status).toBe(404);
      const denied = (await auditRowsOf(api, alice.userId)).filter((row) => row.record_id === recordId && row.actor_id === bob.userId).map((row) => [row.action, row.outcome, row.reason]);
      expect(denied).toEqual([
        ['record.read', 'deny', 'not the owner'],
        ['record.delete', 'deny', 'not the owner'],
      ]);
      expect((await read(alice, recordId)).status).toBe(200);
    });

    it('a doctor without any consent: 404 with a deny row', async () => {
      expect((await read(drWho, recordId)).status).toBe(404);
      expect((await rowsOf(alice, recordId, 'record.read')).filter((row) => row.actor === drWho.userId)).toEqual([
        { outcome: 'deny', actor: drWho.userId, consent: null, reason: 'no active consent and wrap' },
      ]);
    });

    it('a role the route does not name: 403 (a doctor may not delete)', async () => {
      expect((await drHouse.client.send(ROUTES.deleteRecord, { params: { id: recordId }, token: drHouse.token })).status).toBe(403);
    });

    it('no token, or a forged one: 401, and the record is not touched', async () => {
      expect((await alice.client.send(ROUTES.getRecord, { params: { id: recordId } })).status).toBe(401);
      const forged = forgeToken(TEST_JWT_SECRET, { userId: alice.userId, sessionId: sessionIdOf(alice.token), secret: randomBytes(32).toString('base64') });
      expect((await read(alice, recordId, forged)).status).toBe(401);
      expect((await alice.client.send(ROUTES.deleteRecord, { params: { id: recordId }, token: forged })).status).toBe(401);
      expect((await read(alice, recordId)).status).toBe(200);
    });

    it('a malformed id: 400 naming the parameter, no decision taken', async () => {
      const response = await read(alice, 'not-a-uuid');
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });
  });

  describe('the doctors a new upload must be wrapped for (presign coveringDoctors)', () => {
    it('names the doctors of consents over everything, and of a folder only when the upload goes into it', async () => {
      const patient = await registerUser(api);
      const folderId = await createFolder(patient);
      const otherFolder = await createFolder(patient);
      expect((await presignFor(patient, { size: 10 })).body.coveringDoctors).toEqual([]);
      await grant(patient, { doctorId: drHouse.userId, scope: 'all', wraps: [] });
      await grant(patient, { doctorId: drWho.userId, scope: 'folder', folderId, wraps: [] });
      const house = { id: drHouse.userId, displayName: 'Gregory House', publicKey: drHouse.request.keys.publicKey };
      const who = { id: drWho.userId, displayName: 'John Smith', publicKey: drWho.request.keys.publicKey };
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect((await presignFor(patient, { size: 10 })).body.coveringDoctors).toEqual([house]);
      expect((await presignFor(patient, { size: 10, folderId: otherFolder })).body.coveringDoctors).toEqual([house]);
      expect((await presignFor(patient, { size: 10, folderId })).body.coveringDoctors.sort(byId)).toEqual([house, who].sort(byId));
    });

    it('refuses another patient’s folder: 400 naming folderId', async () => {
      const folderId = await createFolder(bob);
      const response = await presignFor(alice, { size: 10, folderId });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
    });

    it('an upload wrapped for exactly those doctors commits, and writes only record.upload and record.create rows', async () => {
      const patient = await registerUser(api);
      const folderId = await createFolder(patient);
      await grant(patient, { doctorId: drWho.userId, scope: 'folder', folderId, wraps: [] });
      const before = (await auditRowsOf(api, patient.userId)).length;
      const doctorsBefore = (await auditRowsOf(api, drWho.userId)).length;
      const upload = (await presignFor(patient, { size: 1000, folderId })).body;
      expect(upload.coveringDoctors.map((doctor) => doctor.id)).toEqual([drWho.userId]);
      await putSegments(upload, segmentBodies(1000));
      const committed = await commit(patient, { ...commitRequest(upload.recordId, folderId), doctorWraps: upload.coveringDoctors.map((doctor) => ({ doctorId: doctor.id, wrap: doctorWrap() })) });
      expect(committed.status).toBe(201);
      const rows = (await auditRowsOf(api, patient.userId)).slice(before).map((row) => `${row.action}:${row.outcome}`);
      expect(rows).toEqual(['record.upload:allow', 'record.create:allow']);
      expect((await auditRowsOf(api, drWho.userId)).slice(doctorsBefore).map((row) => row.action)).toEqual([]);
    });
  });

  describe('PATCH /consents/:id acts on its body', () => {
    it('status "revoked" revokes', async () => {
      const patient = await registerUser(api);
      const consent = await grant(patient, { doctorId: drHouse.userId, scope: 'all', wraps: [] });
      const response = await patchConsent(patient, consent.id, { status: 'revoked' });
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('revoked');
    });

    it.each([
      ['another status', { status: 'active' }],
      ['no status', {}],
      ['a status that is not a string', { status: 1 }],
    ])('%s: 400 naming the field, and the consent stays in force', async (_case, body) => {
      const patient = await registerUser(api);
      const consent = await grant(patient, { doctorId: drHouse.userId, scope: 'all', wraps: [] });
      const response = await patchConsent(patient, consent.id, body);
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((field) => field.field)).toEqual(['status']);
      const [row] = await api.adminQuery<{ status: string }>('SELECT status FROM consents WHERE id = $1', [consent.id]);
      expect(row.status).toBe('active');
    });
  });
});
