import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES } from '@phr/shared-types';
import { CONSENT_BODY_LIMIT_BYTES, MAX_WRAPS_PER_CONSENT } from '../src/consents/dto/consents.dto.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

/**
 * "Share everything" sends one wrap per record, about 575 bytes of JSON each:
 * with the API-wide body limit (64 KiB) it failed with 413 from about 115
 * records. The route takes what MAX_WRAPS_PER_CONSENT allows, with the
 * default settings, and no more.
 */
describe('sharing all of a patient’s records works at the allowed maximum (DESIGN 5)', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;
  let recordIds: string[];

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    // Records made as the operator would restore them (the API only ever sees their ciphertext):
    // building 10,000 through presign, PUT and commit would test uploads, not sharing.
    const rows = await api.adminQuery<{ id: string }>(
      `INSERT INTO records (id, owner_id, size, chunk_bytes, metadata, created_at)
       SELECT gen_random_uuid(), $1, 1000, 262144, $2, now() - make_interval(secs => n) FROM generate_series(1, $3) AS n
       RETURNING id`,
      [patient.userId, sealedBlob(200), MAX_WRAPS_PER_CONSENT],
    );
    await api.adminQuery(`INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_generation) SELECT id, $1, $1, $2, 1 FROM records WHERE owner_id = $1`, [
      patient.userId,
      sealedBlob(),
    ]);
    recordIds = rows.map((row) => row.id);
  });
  afterAll(async () => {
    await api?.close();
  });

  const grantAll = (wraps: Array<{ recordId: string; wrap: string }>) =>
    patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'all', wraps } });

  it('refuses more wraps than a consent may carry with 400 naming wraps, not 413', async () => {
    const tooMany = [...recordIds, recordIds[0]].map((recordId) => ({ recordId, wrap: doctorWrap() }));
    const response = await grantAll(tooMany);
    expect(response.status).toBe(400);
    expect(response.error?.fields?.map((field) => field.field)).toContain('wraps');
  });

  it('refuses a body over the route’s own limit with 413', async () => {
    const response = await patient.client.unchecked().send(ROUTES.createConsent, {
      token: patient.token,
      body: { doctorId: doctor.userId, scope: 'all', wraps: [], padding: 'x'.repeat(CONSENT_BODY_LIMIT_BYTES) },
    });
    expect(response.status).toBe(413);
    expect(response.error?.code).toBe(ERROR_CODES.payloadTooLarge);
    expect(response.error?.message).toMatch(/too large|limit/i);
  });

  it(`shares all ${MAX_WRAPS_PER_CONSENT} records in one grant with the default body limit, and the doctor lists them`, async () => {
    expect(api.config.bodyLimitBytes).toBe(64 * 1024);
    const response = await grantAll(recordIds.map((recordId) => ({ recordId, wrap: doctorWrap() })));
    expect(response.status).toBe(201);
    const [{ count }] = await api.adminQuery<{ count: string }>('SELECT count(*) FROM record_wraps WHERE recipient_id = $1', [doctor.userId]);
    expect(Number(count)).toBe(MAX_WRAPS_PER_CONSENT);
    const page = await doctor.client.send(ROUTES.listRecords, { query: { limit: 5, ownerId: patient.userId }, token: doctor.token });
    expect(page.status).toBe(200);
    expect(page.body.items.map((item) => item.id)).toEqual(recordIds.slice(0, 5));
    expect(page.body.nextCursor).not.toBeNull();
  });

  it(`revokes that consent over ${MAX_WRAPS_PER_CONSENT} records: every wrap of the doctor goes and the doctor lists nothing`, async () => {
    const [consent] = (await patient.client.send(ROUTES.listConsents, { token: patient.token, query: { status: 'active' } })).body.items;
    const revoked = await patient.client.send(ROUTES.updateConsent, { token: patient.token, params: { id: consent.id }, body: { status: 'revoked' } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const [{ count }] = await api.adminQuery<{ count: string }>('SELECT count(*) FROM record_wraps WHERE recipient_id = $1', [doctor.userId]);
    expect(Number(count)).toBe(0);
    const page = await doctor.client.send(ROUTES.listRecords, { query: { limit: 5, ownerId: patient.userId }, token: doctor.token });
    expect(page.body.items).toEqual([]);
  });
});
