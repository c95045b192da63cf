import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ROUTES, type AuditEvent } from '@phr/shared-types';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** RFC 9562 version 4: the version nibble is 4 and the variant bits are 10. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** ISO 8601 in UTC, as Date.prototype.toISOString writes it. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Ids and times the server makes, as the API hands them out. */
describe('values the server makes', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;
  const made: Record<string, string> = {};
  let startedAt: number;

  beforeAll(async () => {
    api = await startTestApp();
    startedAt = Date.now();
    [patient, doctor] = await Promise.all([registerUser(api), registerUser(api, 'doctor')]);
    const folder = await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(20) } });
    const record = await uploadRecord(patient, 100, folder.body.id);
    const consent = await patient.client.send(ROUTES.createConsent, {
      token: patient.token,
      body: { doctorId: doctor.userId, scope: 'folder', folderId: folder.body.id, wraps: [{ recordId: record.summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }] },
    });
    Object.assign(made, {
      patient: patient.userId,
      doctor: doctor.userId,
      folder: folder.body.id,
      record: record.summary.id,
      consent: consent.body.id,
      request: consent.headers.get('x-request-id') ?? '',
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  /** ASVS 6.3.2. */
  it('makes every id a random UUID v4: users, folders, records, consents, requests', () => {
    expect(Object.keys(made)).toHaveLength(6);
    for (const [kind, id] of Object.entries(made)) expect({ kind, id, isV4: UUID_V4.test(id) }).toEqual({ kind, id, isV4: true });
    expect(new Set(Object.values(made)).size).toBe(6);
  });

  /** ASVS 7.3.4. */
  it('gives audit times in ISO 8601 UTC, from a clock that agrees with ours', async () => {
    const page = await patient.client.send(ROUTES.listAudit, { token: patient.token });
    const exported = await patient.client.send(ROUTES.exportAudit, { query: { format: 'json' }, token: patient.token });
    const times = [...page.body.items, ...(exported.body as unknown as AuditEvent[])].map((event) => event.occurredAt);
    expect(times.length).toBeGreaterThan(4);
    for (const time of times) {
      expect(time).toMatch(ISO_UTC);
      // Within the test's own span, give or take a second of clock difference.
      expect(Date.parse(time)).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(Date.parse(time)).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });
});
