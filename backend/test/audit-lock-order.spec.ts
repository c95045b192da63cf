import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { firstBrokenRow } from './support/audit-chain.js';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PATIENTS = 6;
const LISTINGS_PER_DOCTOR = 12;

/**
 * A doctor's consent listing appends one audit row to each listed patient's
 * trail, so it locks several chain heads in one transaction. Two doctors who
 * list the same patients in opposite orders used to deadlock (500s, lost audit
 * rows); the rows of a transaction are now written together, their heads
 * locked in one global order (AuditService, audit_chain_heads_for).
 */
describe('audit rows of many patients in one transaction never deadlock (DESIGN 7)', () => {
  let api: TestApp;
  let patients: RegisteredUser[];
  let drAdams: RegisteredUser;
  let drBaker: RegisteredUser;

  beforeAll(async () => {
    // Enough connections that every listing runs at once, as under real load.
    api = await startTestApp({ DATABASE_POOL_SIZE: String(2 * LISTINGS_PER_DOCTOR + 2) });
    drAdams = await registerUser(api, 'doctor');
    drBaker = await registerUser(api, 'doctor');
    patients = [];
    for (let i = 0; i < PATIENTS; i++) patients.push(await registerUser(api));
    // Listings are newest first: Dr Adams sees the patients in one order, Dr Baker in the opposite one.
    for (const patient of patients) await grantAll(patient, drAdams);
    for (const patient of [...patients].reverse()) await grantAll(patient, drBaker);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function grantAll(patient: RegisteredUser, doctor: RegisteredUser): Promise<void> {
    const response = await patient.client.send(ROUTES.createConsent, {
      token: patient.token,
      body: { doctorId: doctor.userId, scope: 'all', wraps: [] },
    });
    if (response.status !== 201) throw new Error(`grant failed: ${response.status} ${response.text}`);
  }

  const listConsents = (doctor: RegisteredUser) => doctor.client.send(ROUTES.listConsents, { token: doctor.token });

  it('answers every one of many simultaneous listings by two doctors over the same patients in opposite orders', async () => {
    const adamsOrder = (await listConsents(drAdams)).body.items.map((consent) => consent.patientId);
    const bakerOrder = (await listConsents(drBaker)).body.items.map((consent) => consent.patientId);
    expect(bakerOrder).toEqual([...adamsOrder].reverse());

    const doctors = Array.from({ length: 2 * LISTINGS_PER_DOCTOR }, (_, i) => (i % 2 === 0 ? drAdams : drBaker));
    const answers = await Promise.all(doctors.map((doctor) => listConsents(doctor)));

    expect(answers.map((answer) => answer.status)).toEqual(doctors.map(() => 200));
  });

  it('files every listing in every listed patient’s trail, once, and every chain verifies', async () => {
    for (const patient of patients) {
      const rows = await auditRowsOf(api, patient.userId);
      const listingsBy = (doctor: RegisteredUser) =>
        rows.filter((row) => row.action === 'consent.list' && row.outcome === 'allow' && row.actor_id === doctor.userId).length;
      // Two listings before the burst (the order check), then the burst itself.
      expect({ patient: patient.userId, adams: listingsBy(drAdams), baker: listingsBy(drBaker) }).toEqual({
        patient: patient.userId,
        adams: LISTINGS_PER_DOCTOR + 1,
        baker: LISTINGS_PER_DOCTOR + 1,
      });
      expect(await firstBrokenRow(rows)).toBeNull();
    }
  });
});
