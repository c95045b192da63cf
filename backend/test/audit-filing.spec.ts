/**
 * Every attempt on a patient's data belongs in that patient's trail, with the
 * target's id (DESIGN 7), also when it is refused before any service runs
 * (the role guard's 403) or names something the caller may not see: a
 * doctor's or an auditor's attempt on a record or a consent, another patient's
 * revoke, grant over a foreign folder, commit into one, read of a foreign
 * trail, or removal of another account's security key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ROUTES } from '@phr/shared-types';
import { auditRowsOf, type AuditRow } from './support/audit.js';
import { insertAuditor, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { commit, commitRequest, presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionTokenFor } from './support/tokens.js';
import { enrolSecurityKey, SoftAuthenticator } from './support/webauthn.js';

describe('attempts on a patient’s data are filed in that patient’s trail, with the target’s id', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let doctor: RegisteredUser;
  let auditorToken: string;
  let recordId: string;
  let uploadId: string;
  let consentId: string;
  let folderId: string;
  let keyId: string;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    bob = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    auditorToken = await sessionTokenFor(api, await insertAuditor(api.adminQuery), 'auditor');
    recordId = (await uploadRecord(alice)).summary.id;
    const pending = await presign(alice, 100);
    await putSegments(pending, segmentBodies(100));
    uploadId = pending.recordId;
    const wraps = [{ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    consentId = (await alice.client.send(ROUTES.createConsent, { token: alice.token, body: { doctorId: doctor.userId, scope: 'record', recordId, wraps } })).body.id;
    folderId = (await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } })).body.id;
    keyId = (await enrolSecurityKey(alice, new SoftAuthenticator())).id;
  });
  afterAll(async () => {
    await api?.close();
  });

  /** The rows of Alice's trail that a call added. */
  async function addedTo(subjectId: string, call: () => Promise<{ status: number }>, status: number): Promise<AuditRow[]> {
    const before = (await auditRowsOf(api, subjectId)).length;
    expect((await call()).status).toBe(status);
    return (await auditRowsOf(api, subjectId)).slice(before);
  }
  const as = (token: string) => ({ client: testClient(api.baseUrl), token });

  it.each([
    ['a doctor’s DELETE of the record', () => doctor.client.send(ROUTES.deleteRecord, { params: { id: recordId }, token: doctor.token }), 'record'],
    ['an auditor’s read of the record', () => as(auditorToken).client.send(ROUTES.getRecord, { params: { id: recordId }, token: auditorToken }), 'record'],
    ['a doctor’s presign naming the upload', () => doctor.client.send(ROUTES.presignUpload, { token: doctor.token, body: { size: 100, recordId: uploadId } }), 'upload'],
    ['a doctor’s commit naming the upload', () => commit(doctor, commitRequest(uploadId)), 'upload'],
    ['a doctor’s grant naming the record', () => doctor.client.send(ROUTES.createConsent, { token: doctor.token, body: { doctorId: doctor.userId, scope: 'record', recordId, wraps: [] } }), 'record'],
    ['a doctor’s PATCH of the consent', () => doctor.client.send(ROUTES.updateConsent, { params: { id: consentId }, token: doctor.token, body: { status: 'revoked' } }), 'consent'],
    ['an auditor’s PATCH of the consent, with the id in upper case', () => as(auditorToken).client.send(ROUTES.updateConsent, { params: { id: consentId.toUpperCase() }, token: auditorToken, body: { status: 'revoked' } }), 'consent'],
  ] as const)('files %s (a role refusal, 403) in the patient’s trail', async (_case, call, target) => {
    const rows = await addedTo(alice.userId, call, 403);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'route.access', outcome: 'deny' });
    if (target === 'record') expect(rows[0].record_id).toBe(recordId);
    if (target === 'upload') expect(rows[0].record_id).toBe(uploadId);
    if (target === 'consent') expect(rows[0].consent_id).toBe(consentId);
  });

  it('files another patient’s revoke of the consent in the patient’s trail, with its id', async () => {
    const rows = await addedTo(alice.userId, () => bob.client.send(ROUTES.updateConsent, { params: { id: consentId }, token: bob.token, body: { status: 'revoked' } }), 404);
    expect(rows).toMatchObject([{ action: 'consent.revoke', outcome: 'deny', consent_id: consentId, actor_id: bob.userId, reason: 'not the patient of this consent' }]);
  });

  it.each([
    ['the trail', () => bob.client.send(ROUTES.listAudit, { query: { subjectId: alice.userId }, token: bob.token }), 'audit.read'],
    ['an export', () => bob.client.send(ROUTES.exportAudit, { query: { format: 'json', subjectId: alice.userId }, token: bob.token }), 'audit.export'],
    ['the chain head', () => bob.client.send(ROUTES.auditHead, { query: { subjectId: alice.userId }, token: bob.token }), 'audit.head'],
  ] as const)('files another patient’s read of %s in the patient’s trail (403)', async (_case, call, action) => {
    const rows = await addedTo(alice.userId, call, 403);
    expect(rows).toMatchObject([{ action, outcome: 'deny', actor_id: bob.userId }]);
  });

  it('files the removal of another account’s security key in that account’s trail, and the key stays', async () => {
    const rows = await addedTo(alice.userId, () => bob.client.send(ROUTES.removeSecurityKey, { params: { id: keyId }, token: bob.token, body: { currentAuthKey: bob.request.authKey } }), 404);
    expect(rows).toMatchObject([{ action: 'account.security-key-remove', outcome: 'deny', actor_id: bob.userId, reason: `security key ${keyId}: of another account` }]);
    expect(await api.adminQuery('SELECT 1 FROM security_keys WHERE id = $1', [keyId])).toHaveLength(1);
  });

  it('files a grant over another patient’s folder in that patient’s trail (400)', async () => {
    const body = { doctorId: doctor.userId, scope: 'folder' as const, folderId, wraps: [] };
    const rows = await addedTo(alice.userId, () => bob.client.send(ROUTES.createConsent, { token: bob.token, body }), 400);
    expect(rows).toMatchObject([{ action: 'consent.grant', outcome: 'deny', actor_id: bob.userId, reason: `folder ${folderId} is not the caller's` }]);
  });

  it('files a commit into another patient’s folder in that patient’s trail (400)', async () => {
    const upload = await presign(bob, 100);
    await putSegments(upload, segmentBodies(100));
    const rows = await addedTo(alice.userId, () => commit(bob, commitRequest(upload.recordId, folderId)), 400);
    expect(rows).toMatchObject([{ action: 'record.create', outcome: 'deny', actor_id: bob.userId, record_id: upload.recordId }]);
  });

  it('keeps a role refusal that names nothing of anyone’s in the caller’s own trail', async () => {
    const rows = await addedTo(doctor.userId, () => doctor.client.send(ROUTES.deleteRecord, { params: { id: randomUUID() }, token: doctor.token }), 403);
    expect(rows).toMatchObject([{ action: 'route.access', outcome: 'deny', record_id: null }]);
  });
});
