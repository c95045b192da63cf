import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, MAX_FOLDER_LABEL_NAME_CHARS, ROUTES, type CreateConsentRequest, type SealedFolderLabel } from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps or labels (the crypto and browser suites make real ones). */
const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');
const folderLabel = (nameBytes = 20): SealedFolderLabel => ({ wrap: doctorWrap(), name: sealedBlob(nameBytes) });

describe('folder labels: a folder’s name sealed for the doctor of a folder consent (docs/protocol.md "Folder labels")', () => {
  let api: TestApp;
  let doctor: RegisteredUser;
  let otherDoctor: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    doctor = await registerUser(api, 'doctor', { displayName: 'Nadia Labelle' });
    otherDoctor = await registerUser(api, 'doctor', { displayName: 'Omar Other' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const grant = (patient: RegisteredUser, body: CreateConsentRequest, token = patient.token) => patient.client.send(ROUTES.createConsent, { token, body });
  const grantUnchecked = (patient: RegisteredUser, body: unknown) => patient.client.unchecked().send(ROUTES.createConsent, { token: patient.token, body });
  const rewrapUnchecked = (user: RegisteredUser, consentId: string, body: unknown, token = user.token) =>
    user.client.unchecked().send(ROUTES.rewrapConsent, { params: { id: consentId }, token, body });
  const consentsOf = async (user: RegisteredUser) => (await user.client.send(ROUTES.listConsents, { token: user.token })).body.items;
  const storedLabels = (patient: RegisteredUser) =>
    api.adminQuery<{ folder_label_wrap: string | null; folder_label_name: string | null }>('SELECT folder_label_wrap, folder_label_name FROM consents WHERE patient_id = $1', [patient.userId]);
  const fingerprintOf = async (user: RegisteredUser) =>
    (await api.adminQuery<{ fingerprint: string }>('SELECT fingerprint FROM public_keys WHERE user_id = $1', [user.userId]))[0].fingerprint;

  /** A patient with a folder holding one record. */
  async function patientWithFolder() {
    const patient = await registerUser(api);
    const folderId = (await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(12) } })).body.id;
    const recordId = (await uploadRecord(patient, 10, folderId)).summary.id;
    const body = (label?: SealedFolderLabel): CreateConsentRequest => ({ doctorId: doctor.userId, scope: 'folder', folderId, wraps: [{ recordId, wrap: doctorWrap() }], folderLabel: label });
    return { patient, folderId, recordId, body };
  }

  it('stores the label as sent and gives it back to the patient and to the doctor, never to another doctor', async () => {
    const { patient, body } = await patientWithFolder();
    const label = folderLabel();
    const granted = await grant(patient, body(label));
    expect(granted.status).toBe(201);
    expect(granted.body.folderLabel).toEqual(label);
    expect(await storedLabels(patient)).toEqual([{ folder_label_wrap: label.wrap, folder_label_name: label.name }]);
    expect((await consentsOf(patient)).map((consent) => consent.folderLabel)).toEqual([label]);
    expect((await consentsOf(doctor)).find((consent) => consent.id === granted.body.id)?.folderLabel).toEqual(label);
    expect((await consentsOf(otherDoctor)).map((consent) => consent.id)).not.toContain(granted.body.id);
  });

  it('takes a folder consent without a label (older portals) and answers folderLabel null', async () => {
    const { patient, body } = await patientWithFolder();
    const granted = await grant(patient, body());
    expect(granted.status).toBe(201);
    expect(granted.body.folderLabel).toBeNull();
    expect(await storedLabels(patient)).toEqual([{ folder_label_wrap: null, folder_label_name: null }]);
  });

  it('refuses a label on a consent of scope record or all with 400 naming folderLabel, and creates nothing', async () => {
    const { patient, recordId } = await patientWithFolder();
    const wraps = [{ recordId, wrap: doctorWrap() }];
    const asRecord = await grant(patient, { doctorId: doctor.userId, scope: 'record', recordId, wraps, folderLabel: folderLabel() });
    expect(asRecord.status).toBe(400);
    expect(asRecord.error?.fields?.map((problem) => problem.field)).toEqual(['folderLabel']);
    const asAll = await grant(patient, { doctorId: doctor.userId, scope: 'all', wraps, folderLabel: folderLabel() });
    expect(asAll.status).toBe(400);
    expect(asAll.error?.fields?.map((problem) => problem.field)).toEqual(['folderLabel']);
    expect(await storedLabels(patient)).toEqual([]);
  });

  it.each([
    ['folderLabel', 'x'],
    ['folderLabel', [doctorWrap(), sealedBlob(12)]],
    ['folderLabel.wrap', { name: sealedBlob(12) }],
    ['folderLabel.wrap', { wrap: randomBytes(DOCTOR_WRAP_BYTES - 1).toString('base64url'), name: sealedBlob(12) }],
    ['folderLabel.wrap', { wrap: randomBytes(DOCTOR_WRAP_BYTES + 1).toString('base64url'), name: sealedBlob(12) }],
    ['folderLabel.wrap', { wrap: `${doctorWrap().slice(0, -1)}=`, name: sealedBlob(12) }],
    ['folderLabel.name', { wrap: doctorWrap() }],
    ['folderLabel.name', { wrap: doctorWrap(), name: 'short' }],
    ['folderLabel.name', { wrap: doctorWrap(), name: 'A'.repeat(MAX_FOLDER_LABEL_NAME_CHARS + 1) }],
    ['folderLabel.name', { wrap: doctorWrap(), name: `${sealedBlob(12)}+/` }],
    ['folderLabel.name', { wrap: doctorWrap(), name: 42 }],
    ['folderLabel.plaintext', { wrap: doctorWrap(), name: sealedBlob(12), plaintext: 'Cardiology' }],
  ])('refuses a malformed label with 400 naming %s, and creates nothing', async (field, label) => {
    const { patient, body } = await patientWithFolder();
    const response = await grantUnchecked(patient, { ...body(), folderLabel: label });
    expect(response.status).toBe(400);
    expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    expect(await storedLabels(patient)).toEqual([]);
  });

  it('takes a name of the largest size', async () => {
    const { patient, body } = await patientWithFolder();
    const granted = await grant(patient, body({ wrap: doctorWrap(), name: 'A'.repeat(MAX_FOLDER_LABEL_NAME_CHARS) }));
    expect(granted.status).toBe(201);
  });

  it('refuses the grant to a doctor (403), without a token and with forged tokens (401), and to another patient’s folder (400 folderId)', async () => {
    const { patient, body } = await patientWithFolder();
    expect((await grant(doctor, body(folderLabel()))).status).toBe(403);
    expect((await patient.client.send(ROUTES.createConsent, { body: body(folderLabel()) })).status).toBe(401);
    for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
      expect([kind, (await grant(patient, body(folderLabel()), token)).status]).toEqual([kind, 401]);
    }
    const stranger = await registerUser(api);
    const foreign = await grant(stranger, body(folderLabel()));
    expect(foreign.status).toBe(400);
    expect(foreign.error?.fields?.map((problem) => problem.field)).toEqual(['folderId']);
    expect(await storedLabels(patient)).toEqual([]);
    expect(await storedLabels(stranger)).toEqual([]);
  });

  describe('sealed again for the doctor’s current key (PUT /consents/:id/wraps)', () => {
    async function grantedWithLabel() {
      const setup = await patientWithFolder();
      const granted = await grant(setup.patient, setup.body(folderLabel()));
      expect(granted.status).toBe(201);
      return { ...setup, consentId: granted.body.id, fingerprint: await fingerprintOf(doctor) };
    }

    it('replaces the label, alone or with wraps, shown to the doctor and filed in the patient’s trail', async () => {
      const { patient, consentId, recordId, fingerprint } = await grantedWithLabel();
      const alone = folderLabel(30);
      const answer = await rewrapUnchecked(patient, consentId, { fingerprint, wraps: [], folderLabel: alone });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ replaced: 0, staleWraps: 0 });
      expect((await consentsOf(doctor)).find((consent) => consent.id === consentId)?.folderLabel).toEqual(alone);
      const withWraps = folderLabel(8);
      expect((await rewrapUnchecked(patient, consentId, { fingerprint, wraps: [{ recordId, wrap: doctorWrap() }], folderLabel: withWraps })).status).toBe(200);
      expect(await storedLabels(patient)).toEqual([{ folder_label_wrap: withWraps.wrap, folder_label_name: withWraps.name }]);
      const reasons = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.rewrap').map((row) => row.reason);
      expect(reasons).toEqual([
        `0 wrap(s) re-made for key ${fingerprint}, folder label re-sealed; 0 still for a replaced key`,
        `1 wrap(s) re-made for key ${fingerprint}, folder label re-sealed; 0 still for a replaced key`,
      ]);
    });

    it('refuses no wraps and no label with 400 naming wraps, a label on a record consent with 400 naming folderLabel, a malformed one naming its field', async () => {
      const { patient, consentId, recordId, fingerprint } = await grantedWithLabel();
      const empty = await rewrapUnchecked(patient, consentId, { fingerprint, wraps: [] });
      expect(empty.status).toBe(400);
      expect(empty.error?.fields?.map((problem) => problem.field)).toEqual(['wraps']);
      const record = await grant(patient, { doctorId: doctor.userId, scope: 'record', recordId, wraps: [{ recordId, wrap: doctorWrap() }] });
      const onRecord = await rewrapUnchecked(patient, record.body.id, { fingerprint, wraps: [], folderLabel: folderLabel() });
      expect(onRecord.status).toBe(400);
      expect(onRecord.error?.fields?.map((problem) => problem.field)).toEqual(['folderLabel']);
      const malformed = await rewrapUnchecked(patient, consentId, { fingerprint, wraps: [], folderLabel: { wrap: 'abc', name: sealedBlob(12) } });
      expect(malformed.status).toBe(400);
      expect(malformed.error?.fields?.map((problem) => problem.field)).toEqual(['folderLabel.wrap']);
    });

    it('refuses another patient (404), the doctor (403), no token and forged tokens (401), and keeps the label', async () => {
      const { patient, consentId, fingerprint } = await grantedWithLabel();
      const before = await storedLabels(patient);
      const body = { fingerprint, wraps: [], folderLabel: folderLabel() };
      expect((await rewrapUnchecked(await registerUser(api), consentId, body)).status).toBe(404);
      expect((await rewrapUnchecked(doctor, consentId, body)).status).toBe(403);
      expect((await patient.client.unchecked().send(ROUTES.rewrapConsent, { params: { id: consentId }, body })).status).toBe(401);
      for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
        expect([kind, (await rewrapUnchecked(patient, consentId, body, token)).status]).toEqual([kind, 401]);
      }
      expect((await rewrapUnchecked(patient, randomUUID(), body)).status).toBe(404);
      expect(await storedLabels(patient)).toEqual(before);
    });
  });
});
