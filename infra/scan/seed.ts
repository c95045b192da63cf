/**
 * The data the scan runs over: a patient with a folder, a record and a consent
 * for a doctor, made through the API as the portal makes them. The API never
 * opens key blobs or ciphertext, so the shaped stand-ins of the API tests serve
 * (backend/test/support); the real protocol is the crypto and browser suites'.
 */
import { ROUTES, DOCTOR_WRAP_BYTES } from '@phr/shared-types';
import { randomKey, registerUser, sealedBlob, type RegisteredUser, type RegistrationApi } from '@phr/backend/test-support/factories.js';
import { uploadRecord } from '@phr/backend/test-support/records.js';

export interface ScanSeed {
  patient: RegisteredUser;
  doctor: RegisteredUser;
  folderId: string;
  recordId: string;
  consentId: string;
}

export async function seedScanData(api: RegistrationApi): Promise<ScanSeed> {
  const patient = await registerUser(api, 'patient');
  const doctor = await registerUser(api, 'doctor');

  const folder = await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(24) } });
  if (folder.status !== 201) throw new Error(`folder creation failed: ${folder.status} ${folder.text}`);
  const { summary } = await uploadRecord(patient, 2000, folder.body.id);

  const consent = await patient.client.send(ROUTES.createConsent, {
    token: patient.token,
    body: {
      doctorId: doctor.userId,
      scope: 'record',
      recordId: summary.id,
      purpose: 'scan',
      wraps: [{ recordId: summary.id, wrap: randomKey(DOCTOR_WRAP_BYTES) }],
    },
  });
  if (consent.status !== 201) throw new Error(`consent creation failed: ${consent.status} ${consent.text}`);

  return { patient, doctor, folderId: folder.body.id, recordId: summary.id, consentId: consent.body.id };
}
