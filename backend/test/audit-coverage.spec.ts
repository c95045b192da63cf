import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ROUTES } from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { firstBrokenRow } from './support/audit-chain.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { commit, commitRequest, presign, putSegments, segmentBodies } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('every action on a patient’s data leaves exactly the expected audit rows (DESIGN 7)', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;
  let stranger: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    stranger = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('records each attempt once, with actor, role, outcome, reason, record or consent, IP, user agent and request id', async () => {
    const before = (await auditRowsOf(api, patient.userId)).length;
    const doctorBefore = (await auditRowsOf(api, doctor.userId)).length;
    const headers = { 'user-agent': 'coverage-test/1.0' };
    const as = (user: RegisteredUser) => ({ token: user.token, headers });

    const upload = await presign(patient, 10);
    await putSegments(upload, segmentBodies(10));
    const recordId = upload.recordId;
    expect((await commit(patient, commitRequest(recordId))).status).toBe(201);
    await patient.client.send(ROUTES.listRecords, as(patient));
    await patient.client.send(ROUTES.getRecord, { params: { id: recordId }, ...as(patient) });
    await stranger.client.send(ROUTES.getRecord, { params: { id: recordId }, ...as(stranger) });
    const folder = await patient.client.send(ROUTES.createFolder, { ...as(patient), body: { name: sealedBlob(20) } });
    await patient.client.send(ROUTES.listFolders, as(patient));
    await patient.client.send(ROUTES.publicKey, { params: { id: doctor.userId }, ...as(patient) });
    const wraps = [{ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    const consent = await patient.client.send(ROUTES.createConsent, { ...as(patient), body: { doctorId: doctor.userId, scope: 'record', recordId, wraps } });
    await doctor.client.send(ROUTES.listRecords, { query: { ownerId: patient.userId }, ...as(doctor) });
    await doctor.client.send(ROUTES.getRecord, { params: { id: recordId }, ...as(doctor) });
    await doctor.client.send(ROUTES.listConsents, as(doctor));
    await patient.client.send(ROUTES.listConsents, { query: { status: 'active' }, ...as(patient) });
    await patient.client.send(ROUTES.updateConsent, { params: { id: consent.body.id }, ...as(patient), body: { status: 'revoked' } });
    await doctor.client.send(ROUTES.getRecord, { params: { id: recordId }, ...as(doctor) });
    await doctor.client.send(ROUTES.listRecords, { query: { ownerId: patient.userId }, ...as(doctor) });
    await patient.client.send(ROUTES.deleteRecord, { params: { id: recordId }, ...as(patient) });

    const rows = (await auditRowsOf(api, patient.userId)).slice(before);
    const P = patient.userId;
    const D = doctor.userId;
    const S = stranger.userId;
    const C = consent.body.id;
    expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.actor_role, row.record_id, row.consent_id, row.reason])).toEqual([
      ['record.upload', 'allow', P, 'patient', recordId, null, null],
      ['record.create', 'allow', P, 'patient', recordId, null, null],
      ['record.list', 'allow', P, 'patient', null, null, '1 record(s)'],
      ['record.read', 'allow', P, 'patient', recordId, null, null],
      ['record.read', 'deny', S, 'patient', recordId, null, 'not the owner'],
      ['folder.create', 'allow', P, 'patient', null, null, folder.body.id],
      ['folder.list', 'allow', P, 'patient', null, null, '1 folder(s)'],
      ['consent.grant', 'allow', P, 'patient', recordId, C, null],
      ['record.list', 'allow', D, 'doctor', null, null, '1 record(s)'],
      ['record.read', 'allow', D, 'doctor', recordId, C, 'consented doctor'], // with the consent that allowed it (issue 13)
      ['consent.list', 'allow', D, 'doctor', null, null, '1 consent(s)'],
      ['consent.list', 'allow', P, 'patient', null, null, '1 consent(s)'],
      ['consent.revoke', 'allow', P, 'patient', null, C, null],
      ['record.read', 'deny', D, 'doctor', recordId, C, 'consent revoked'],
      ['record.delete', 'allow', P, 'patient', recordId, null, null],
    ]);
    const fromThisTest = rows.filter((row) => row.action !== 'record.upload' && row.action !== 'record.create');
    expect(fromThisTest.every((row) => row.ip === '127.0.0.1' && row.user_agent === 'coverage-test/1.0')).toBe(true);
    expect(rows.every((row) => typeof row.request_id === 'string' && row.request_id.length > 0)).toBe(true);
    expect(new Set(rows.map((row) => row.request_id)).size).toBe(rows.length);
    expect(await firstBrokenRow(await auditRowsOf(api, patient.userId))).toBeNull();

    // The doctor's trail: who fetched the doctor's key, and the empty listing after the revoke, a denied attempt.
    const doctorRows = (await auditRowsOf(api, doctor.userId)).slice(doctorBefore);
    expect(doctorRows.map((row) => [row.action, row.outcome, row.actor_id, row.reason])).toEqual([
      ['key.read', 'allow', P, null],
      ['record.list', 'deny', D, `nothing of ${P} is shared with you`],
    ]);
  });

  it('fails the action when its audit row cannot be written, and keeps nothing of it', async () => {
    const victim = await registerUser(api);
    const upload = await presign(victim, 10);
    await putSegments(upload, segmentBodies(10));
    // An operator-side fault: inserts into this patient's trail fail from now on.
    await api.adminQuery(`
      CREATE FUNCTION fail_audit_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.subject_id = '${victim.userId}' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER fail_audit_for_test BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_audit_for_test();`);
    try {
      const response = await commit(victim, commitRequest(upload.recordId));
      expect(response.status).toBe(500);
      expect(await api.adminQuery('SELECT id FROM records WHERE id = $1', [upload.recordId])).toHaveLength(0);
    } finally {
      await api.adminQuery('DROP TRIGGER fail_audit_for_test ON audit_events; DROP FUNCTION fail_audit_for_test();');
    }
    expect((await commit(victim, commitRequest(upload.recordId))).status).toBe(201);
  });
});
