import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  DOCTOR_WRAP_BYTES,
  ERROR_CODES,
  MAX_REWRAPS_PER_REQUEST,
  ROUTES,
  type RotateKeyPairRequest,
} from '@phr/shared-types';
import { verifyBindingProof, verifyConsistency, verifyTreeHead } from '../../frontend/src/crypto/key-directory.js';
import { fingerprintOf } from '../src/identity/key-material.js';
import { auditRowsOf } from './support/audit.js';
import { randomKey, registerUser, sealedBlob, signedIn, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps (the crypto and browser suites make real ones). */
const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

/** How many of the API's connections wait for a lock. */
async function apiLockWaiters(api: TestApp): Promise<number> {
  const [row] = await api.adminQuery<{ waiting: string }>(
    `SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'phr-api' AND wait_event_type = 'Lock'`,
  );
  return Number(row.waiting);
}

/** Runs `work` while an operator holds the key directory's log lock; releases it once `waiters` API connections wait (a condition, never a time). */
async function whileLogLocked<T>(api: TestApp, waiters: number, work: () => Promise<T>): Promise<T> {
  const operator = new pg.Client({ connectionString: api.database.adminUrl });
  operator.on('error', () => undefined);
  await operator.connect();
  try {
    await operator.query('BEGIN');
    await operator.query('SELECT size FROM key_log_tree FOR UPDATE');
    const pending = work();
    const deadline = Date.now() + 60_000;
    while ((await apiLockWaiters(api)) < waiters) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${waiters} request(s) of the API at a lock`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await operator.query('COMMIT');
    return await pending;
  } finally {
    await operator.end();
  }
}

describe('key-pair rotation (docs/protocol.md "Key-pair rotation")', () => {
  let api: TestApp;
  /** The key every rotation here moves to: every account starts with the file's one rsaPublicKey(). */
  let nextPublicKey: string;
  /** A third key, for two rotations of one account. */
  let laterPublicKey: string;

  beforeAll(async () => {
    // Requests held at a lock on purpose wait for the operator, not for a timeout.
    api = await startTestApp({ DATABASE_LOCK_TIMEOUT_MS: '60000' });
    [nextPublicKey, laterPublicKey] = [1, 2].map(() => generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64url'));
  });
  afterAll(async () => {
    await api?.close();
  });

  const rotate = (user: RegisteredUser, body: Partial<RotateKeyPairRequest>, token = user.token) =>
    user.client.unchecked().send(ROUTES.rotateKeyPair, { token, body });
  const newKeyPair = (user: RegisteredUser): RotateKeyPairRequest => ({ currentAuthKey: user.request.authKey, publicKey: nextPublicKey, wrappedPrivateKey: sealedBlob(1800) });
  const head = async (user: RegisteredUser) => (await user.client.send(ROUTES.keyDirectoryHead, { token: user.token })).body;
  const bindingOf = async (user: RegisteredUser, userId: string) =>
    (await user.client.send(ROUTES.keyBinding, { params: { id: userId }, token: user.token })).body;
  const signIn = async (user: RegisteredUser) => {
    const client = testClient(api.baseUrl);
    const response = await client.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
    expect(response.status).toBe(200);
    return signedIn(response.body);
  };
  const grantAll = async (patient: RegisteredUser, doctor: RegisteredUser, recordIds: string[]) => {
    const response = await patient.client.send(ROUTES.createConsent, {
      token: patient.token,
      body: { doctorId: doctor.userId, scope: 'all', wraps: recordIds.map((recordId) => ({ recordId, wrap: doctorWrap() })) },
    });
    expect(response.status).toBe(201);
    return response.body;
  };
  const rewrap = (user: RegisteredUser, consentId: string, body: unknown, token = user.token) =>
    user.client.unchecked().send(ROUTES.rewrapConsent, { params: { id: consentId }, token, body });
  const consentsOf = async (user: RegisteredUser) => (await user.client.send(ROUTES.listConsents, { token: user.token })).body.items;
  const read = (user: RegisteredUser, recordId: string) => user.client.send(ROUTES.getRecord, { params: { id: recordId }, token: user.token });
  const listed = async (user: RegisteredUser, ownerId: string) =>
    (await user.client.send(ROUTES.listRecords, { query: { ownerId }, token: user.token })).body.items.map((item) => item.id).sort();
  const keyOfWraps = (doctor: RegisteredUser) =>
    api.adminQuery<{ record_id: string; key_fingerprint: string; wrap: string }>('SELECT record_id, key_fingerprint, wrap FROM record_wraps WHERE recipient_id = $1', [doctor.userId]);

  describe('POST /me/key-pair', () => {
    it('replaces the key pair, logs the new key in the key directory with valid proofs, and audits it', async () => {
      const doctor = await registerUser(api, 'doctor');
      const before = await head(doctor);
      const request = newKeyPair(doctor);

      const response = await rotate(doctor, request);

      expect(response.status).toBe(200);
      expect(response.body.fingerprint).toBe(fingerprintOf(request.publicKey));
      expect(response.body.binding).toMatchObject({ userId: doctor.userId, role: 'doctor', publicKey: request.publicKey, fingerprint: fingerprintOf(request.publicKey) });
      // The directory proves the new binding as the latest of the doctor, in a head that extends the one seen before.
      const after = await head(doctor);
      expect(await verifyTreeHead(after, api.config.keyLog.publicKey)).toBe(true);
      const consistency = (await doctor.client.send(ROUTES.keyLogConsistency, { query: { from: before.treeSize, to: after.treeSize }, token: doctor.token })).body;
      expect(await verifyConsistency(before, after, consistency.proof)).toBe(true);
      const proof = await bindingOf(doctor, doctor.userId);
      expect(proof.binding).toEqual(response.body.binding);
      expect(await verifyBindingProof(proof, doctor.userId, api.config.keyLog.publicKey)).toBe(true);
      // The old binding stays in the log, earlier.
      const [{ count }] = await api.adminQuery<{ count: string }>('SELECT count(*) FROM key_log_leaves WHERE user_id = $1', [doctor.userId]);
      expect(Number(count)).toBe(2);
      // Sign-in now serves the new key and the new sealed private key; every other place serves the same key.
      const session = await signIn(doctor);
      expect(session.keys).toMatchObject({ publicKey: request.publicKey, wrappedPrivateKey: request.wrappedPrivateKey, fingerprint: response.body.fingerprint });
      const served = await doctor.client.send(ROUTES.publicKey, { params: { id: doctor.userId }, token: doctor.token });
      expect(served.body.publicKey).toBe(request.publicKey);
      const rows = (await auditRowsOf(api, doctor.userId)).filter((row) => row.action === 'key.rotate');
      expect(rows.map((row) => [row.outcome, row.actor_id, row.reason])).toEqual([
        ['allow', doctor.userId, `key ${response.body.fingerprint} replaces ${fingerprintOf(doctor.request.keys.publicKey)}; key directory entry ${response.body.binding.leafIndex}`],
      ]);
    });

    it('lets two rotations of one account sent at once take turns: both land, the second naming the key the first made', async () => {
      const doctor = await registerUser(api, 'doctor');
      // Both are in flight before either can append: the log's lock is held until both wait at a lock.
      const answers = await whileLogLocked(api, 2, () => Promise.all([nextPublicKey, laterPublicKey].map((publicKey) => rotate(doctor, { ...newKeyPair(doctor), publicKey }))));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      const [first, second] = [...answers].sort((a, b) => a.body.binding.leafIndex - b.body.binding.leafIndex).map((answer) => answer.body);
      const reasons = (await auditRowsOf(api, doctor.userId)).filter((row) => row.action === 'key.rotate').map((row) => row.reason);
      expect(reasons).toEqual([
        `key ${first.fingerprint} replaces ${fingerprintOf(doctor.request.keys.publicKey)}; key directory entry ${first.binding.leafIndex}`,
        `key ${second.fingerprint} replaces ${first.fingerprint}; key directory entry ${second.binding.leafIndex}`,
      ]);
      expect((await bindingOf(doctor, doctor.userId)).binding).toEqual(second.binding);
      expect((await signIn(doctor)).keys.publicKey).toBe(second.binding.publicKey);
    });

    it('lets a patient rotate too', async () => {
      const patient = await registerUser(api);
      const response = await rotate(patient, newKeyPair(patient));
      expect(response.status).toBe(200);
      expect(response.body.binding.role).toBe('patient');
    });

    it('refuses a wrong current password with 403, changes nothing, and audits the refusal', async () => {
      const doctor = await registerUser(api, 'doctor');
      const before = await head(doctor);
      const response = await rotate(doctor, { ...newKeyPair(doctor), currentAuthKey: randomKey() });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe(ERROR_CODES.invalidCredentials);
      expect((await head(doctor)).treeSize).toBe(before.treeSize);
      expect((await signIn(doctor)).keys.publicKey).toBe(doctor.request.keys.publicKey);
      const rows = (await auditRowsOf(api, doctor.userId)).filter((row) => row.action === 'key.rotate');
      expect(rows.map((row) => [row.outcome, row.reason])).toEqual([['deny', 'current password is wrong']]);
    });

    it.each([
      ['publicKey', { publicKey: 'not a key' }],
      ['publicKey', { publicKey: Buffer.from('x'.repeat(300)).toString('base64url') }],
      ['wrappedPrivateKey', { wrappedPrivateKey: undefined }],
      ['wrappedPrivateKey', { wrappedPrivateKey: randomKey(8) }],
      ['currentAuthKey', { currentAuthKey: 'short' }],
      ['body', { unexpected: 1 }],
    ])('refuses a malformed %s with 400 naming it, and changes nothing', async (field, change) => {
      const doctor = await registerUser(api, 'doctor');
      const response = await rotate(doctor, { ...newKeyPair(doctor), ...change });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field).join(' ')).toContain(field === 'body' ? 'unexpected' : field);
      expect((await signIn(doctor)).keys.publicKey).toBe(doctor.request.keys.publicKey);
    });

    it('refuses a key-pair rotation while an account-key rotation is under way (409 KEY_ROTATION, audited): its finish would put back the private key it re-sealed', async () => {
      const patient = await registerUser(api);
      const fingerprint = createHash('sha256').update(Buffer.from(patient.request.keys.publicKey, 'base64url')).digest('hex');
      const started = await patient.client.send(ROUTES.startKeyRotation, {
        token: patient.token,
        body: { currentAuthKey: patient.request.authKey, wrappedAccountKey: sealedBlob(), wrappedPrivateKey: sealedBlob(1800), fingerprint },
      });
      expect(started.status).toBe(201);
      const before = await head(patient);
      const response = await rotate(patient, newKeyPair(patient));
      expect(response.status).toBe(409);
      expect(response.error?.code).toBe(ERROR_CODES.keyRotation);
      expect((await head(patient)).treeSize).toBe(before.treeSize);
      expect((await signIn(patient)).keys.publicKey).toBe(patient.request.keys.publicKey);
      const rows = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'key.rotate');
      expect(rows.map((row) => [row.outcome, row.reason])).toEqual([['deny', 'an account-key rotation is under way']]);
    });

    it('refuses the current key as the new one (400 publicKey): a rotation needs a new key pair', async () => {
      const doctor = await registerUser(api, 'doctor');
      const response = await rotate(doctor, { ...newKeyPair(doctor), publicKey: doctor.request.keys.publicKey });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('publicKey');
    });

    it('refuses no token and every forged or broken token with 401', async () => {
      const doctor = await registerUser(api, 'doctor');
      expect((await doctor.client.send(ROUTES.rotateKeyPair, { body: newKeyPair(doctor) })).status).toBe(401);
      for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, doctor.userId, sessionIdOf(doctor.token)))) {
        expect([kind, (await rotate(doctor, newKeyPair(doctor), token)).status]).toEqual([kind, 401]);
      }
      expect((await signIn(doctor)).keys.publicKey).toBe(doctor.request.keys.publicKey);
    });
  });

  describe('wraps made for a replaced key', () => {
    /** A patient with three records, two shared (scope: folder) and one not, with a doctor who then rotates. */
    async function sharedThenRotated() {
      const patient = await registerUser(api);
      const doctor = await registerUser(api, 'doctor');
      const folderId = (await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(20) } })).body.id;
      const shared = [(await uploadRecord(patient, 1000, folderId)).summary.id, (await uploadRecord(patient, 1000, folderId)).summary.id].sort();
      const outside = (await uploadRecord(patient)).summary.id;
      const granted = await patient.client.send(ROUTES.createConsent, {
        token: patient.token,
        body: { doctorId: doctor.userId, scope: 'folder', folderId, wraps: shared.map((recordId) => ({ recordId, wrap: doctorWrap() })) },
      });
      expect(granted.status).toBe(201);
      const oldFingerprint = fingerprintOf(doctor.request.keys.publicKey);
      expect((await keyOfWraps(doctor)).map((row) => row.key_fingerprint)).toEqual([oldFingerprint, oldFingerprint]);
      expect((await read(doctor, shared[0])).status).toBe(200);
      const rotation = newKeyPair(doctor);
      expect((await rotate(doctor, rotation)).status).toBe(200);
      return { patient, doctor, consent: granted.body, shared, outside, oldFingerprint, newFingerprint: fingerprintOf(rotation.publicKey) };
    }

    it('refuses the doctor a stale wrap with 409 WRAP_STALE, filed in the patient’s trail, and lists none', async () => {
      const { patient, doctor, shared, oldFingerprint } = await sharedThenRotated();
      const response = await read(doctor, shared[0]);
      expect(response.status).toBe(409);
      expect(response.error?.code).toBe(ERROR_CODES.wrapStale);
      expect(response.body).not.toHaveProperty('wrap');
      const denied = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'record.read' && row.outcome === 'deny');
      expect(denied.map((row) => [row.actor_id, row.record_id, row.reason])).toEqual([[doctor.userId, shared[0], `wrap made for the replaced key ${oldFingerprint}`]]);
      expect(await listed(doctor, patient.userId)).toEqual([]);
      // The patient reads their own record as before: owner wraps do not depend on any key pair.
      expect((await read(patient, shared[0])).status).toBe(200);
    });

    it('shows both parties how many wraps of the consent are stale', async () => {
      const { patient, doctor } = await sharedThenRotated();
      expect((await consentsOf(patient)).map((consent) => consent.staleWraps)).toEqual([2]);
      expect((await consentsOf(doctor)).map((consent) => consent.staleWraps)).toEqual([2]);
    });

    it('takes the patient’s re-wraps for the doctor’s current key, in batches; the doctor reads again and the old wraps are gone', async () => {
      const { patient, doctor, consent, shared, newFingerprint } = await sharedThenRotated();
      const newWraps = shared.map((recordId) => ({ recordId, wrap: doctorWrap() }));

      const first = await rewrap(patient, consent.id, { fingerprint: newFingerprint, wraps: newWraps.slice(0, 1) });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ replaced: 1, staleWraps: 1 });
      expect((await read(doctor, shared[0])).body.wrap).toBe(newWraps[0].wrap);
      expect((await read(doctor, shared[1])).status).toBe(409);
      const second = await rewrap(patient, consent.id, { fingerprint: newFingerprint, wraps: newWraps.slice(1) });
      expect(second.body).toEqual({ replaced: 1, staleWraps: 0 });

      expect(await listed(doctor, patient.userId)).toEqual(shared);
      const stored = await keyOfWraps(doctor);
      expect(stored.map((row) => row.key_fingerprint)).toEqual([newFingerprint, newFingerprint]);
      expect(stored.map((row) => row.wrap).sort()).toEqual(newWraps.map((wrap) => wrap.wrap).sort());
      expect((await consentsOf(patient)).map((row) => row.staleWraps)).toEqual([0]);
      const rows = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.rewrap');
      expect(rows.map((row) => [row.outcome, row.actor_id, row.consent_id, row.reason])).toEqual([
        ['allow', patient.userId, consent.id, `1 wrap(s) re-made for key ${newFingerprint}; 1 still for a replaced key`],
        ['allow', patient.userId, consent.id, `1 wrap(s) re-made for key ${newFingerprint}; 0 still for a replaced key`],
      ]);
    });

    it('refuses wraps for any key but the doctor’s current one (the old one, or another) with 409 KEY_CHANGED, and audits it', async () => {
      const { patient, doctor, consent, shared, oldFingerprint } = await sharedThenRotated();
      for (const fingerprint of [oldFingerprint, 'b'.repeat(64)]) {
        const response = await rewrap(patient, consent.id, { fingerprint, wraps: [{ recordId: shared[0], wrap: doctorWrap() }] });
        expect(response.status).toBe(409);
        expect(response.error?.code).toBe(ERROR_CODES.keyChanged);
      }
      expect((await keyOfWraps(doctor)).map((row) => row.key_fingerprint)).toEqual([oldFingerprint, oldFingerprint]);
      const rows = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.rewrap');
      expect(rows.map((row) => [row.outcome, row.reason])).toEqual([
        ['deny', `wraps made for key ${oldFingerprint}, not the doctor's current key`],
        ['deny', `wraps made for key ${'b'.repeat(64)}, not the doctor's current key`],
      ]);
    });

    it('refuses a wrap of a record outside the consent’s scope, of another patient, or twice, with 400 WRAPS_MISMATCH, and writes none', async () => {
      const { patient, doctor, consent, shared, outside, newFingerprint, oldFingerprint } = await sharedThenRotated();
      const other = await registerUser(api);
      const othersRecord = (await uploadRecord(other)).summary.id;
      for (const recordIds of [[shared[0], outside], [shared[0], othersRecord], [shared[0], shared[0]], [randomUUID()]]) {
        const response = await rewrap(patient, consent.id, { fingerprint: newFingerprint, wraps: recordIds.map((recordId) => ({ recordId, wrap: doctorWrap() })) });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ code: ERROR_CODES.wrapsMismatch, fields: [{ field: 'wraps' }] });
      }
      expect((await keyOfWraps(doctor)).map((row) => row.key_fingerprint)).toEqual([oldFingerprint, oldFingerprint]);
      expect((await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.rewrap').map((row) => row.outcome)).toEqual(['deny', 'deny', 'deny', 'deny']);
    });

    it('answers another patient the 404 of no consent, filed in the owner’s trail; refuses the doctor (403), no token and forged tokens (401)', async () => {
      const { patient, doctor, consent, shared, newFingerprint } = await sharedThenRotated();
      const body = { fingerprint: newFingerprint, wraps: [{ recordId: shared[0], wrap: doctorWrap() }] };
      const stranger = await registerUser(api);
      const foreign = await rewrap(stranger, consent.id, body);
      expect(foreign.status).toBe(404);
      expect((await rewrap(stranger, randomUUID(), body)).status).toBe(404);
      const filed = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.rewrap');
      expect(filed.map((row) => [row.outcome, row.actor_id, row.consent_id, row.reason])).toEqual([['deny', stranger.userId, consent.id, 'not the patient of this consent']]);

      expect((await rewrap(doctor, consent.id, body)).status).toBe(403);
      expect((await patient.client.send(ROUTES.rewrapConsent, { params: { id: consent.id }, body })).status).toBe(401);
      for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
        expect([kind, (await rewrap(patient, consent.id, body, token)).status]).toEqual([kind, 401]);
      }
      expect((await read(doctor, shared[0])).status).toBe(409);
    });

    it.each([
      ['fingerprint', { fingerprint: 'A'.repeat(64) }],
      ['fingerprint', { fingerprint: undefined }],
      ['wraps', { wraps: [] }],
      ['wraps', { wraps: 'x' }],
      ['wraps', { wraps: Array.from({ length: MAX_REWRAPS_PER_REQUEST + 1 }, () => ({ recordId: randomUUID(), wrap: doctorWrap() })) }],
      ['wraps.0.wrap', { wraps: [{ recordId: randomUUID(), wrap: randomKey(16) }] }],
      ['wraps.0.recordId', { wraps: [{ recordId: 'not-an-id', wrap: doctorWrap() }] }],
    ])('refuses a malformed %s with 400 naming it', async (field, change) => {
      const { patient, consent, newFingerprint } = await sharedThenRotated();
      const response = await rewrap(patient, consent.id, { fingerprint: newFingerprint, wraps: [{ recordId: randomUUID(), wrap: doctorWrap() }], ...change });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it('refuses a malformed consent id with 400 naming it', async () => {
      const { patient, newFingerprint } = await sharedThenRotated();
      const response = await rewrap(patient, 'not-a-uuid', { fingerprint: newFingerprint, wraps: [{ recordId: randomUUID(), wrap: doctorWrap() }] });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('id');
    });

    it('refuses re-wraps for a revoked consent with 409 CONSENT_NOT_ACTIVE', async () => {
      const { patient, consent, shared, newFingerprint } = await sharedThenRotated();
      expect((await patient.client.send(ROUTES.updateConsent, { params: { id: consent.id }, token: patient.token, body: { status: 'revoked' } })).status).toBe(200);
      const response = await rewrap(patient, consent.id, { fingerprint: newFingerprint, wraps: [{ recordId: shared[0], wrap: doctorWrap() }] });
      expect(response.status).toBe(409);
      expect(response.error?.code).toBe(ERROR_CODES.consentNotActive);
    });

    it('refuses a grant whose wraps name the doctor’s replaced key (a rotation between look-up and grant) with 409 KEY_CHANGED, and writes nothing; takes the current key', async () => {
      const { doctor, oldFingerprint, newFingerprint } = await sharedThenRotated();
      const patient = await registerUser(api);
      const record = (await uploadRecord(patient)).summary.id;
      const body = (fingerprint: string) => ({ doctorId: doctor.userId, scope: 'record' as const, recordId: record, wraps: [{ recordId: record, wrap: doctorWrap() }], fingerprint });
      const refused = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: body(oldFingerprint) });
      expect(refused.status).toBe(409);
      expect(refused.error?.code).toBe(ERROR_CODES.keyChanged);
      expect(await consentsOf(patient)).toEqual([]);
      expect((await keyOfWraps(doctor)).filter((row) => row.record_id === record)).toEqual([]);
      const denied = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.grant');
      expect(denied.map((row) => [row.outcome, row.reason])).toEqual([['deny', `wraps made for key ${oldFingerprint}, not the doctor's current key`]]);

      const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: body(newFingerprint) });
      expect(granted.status).toBe(201);
      expect((await keyOfWraps(doctor)).filter((row) => row.record_id === record).map((row) => row.key_fingerprint)).toEqual([newFingerprint]);
      expect((await read(doctor, record)).status).toBe(200);
    });

    it('stamps new wraps (a grant after the rotation) with the doctor’s current key, so they are not stale', async () => {
      const { doctor, newFingerprint } = await sharedThenRotated();
      const patient = await registerUser(api);
      const record = (await uploadRecord(patient)).summary.id;
      await grantAll(patient, doctor, [record]);
      expect((await keyOfWraps(doctor)).filter((row) => row.record_id === record).map((row) => row.key_fingerprint)).toEqual([newFingerprint]);
      expect((await read(doctor, record)).status).toBe(200);
    });
  });
});
