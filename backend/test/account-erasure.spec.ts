import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  ACCOUNT_ERASURE_CONFIRMATION,
  DEVICE_COOKIE_NAME,
  DOCTOR_WRAP_BYTES,
  ERASURE_REASON_MAX_LENGTH,
  ERROR_CODES,
  RECORD_CHUNK_BYTES,
  RECORD_CHUNKS_PER_SEGMENT,
  REFRESH_COOKIE_NAME,
  ROUTES,
  type AccountErasureReceipt,
  type CreateConsentRequest,
  type EraseAccountRequest,
} from '@phr/shared-types';
import { segmentObjectKeys } from '../src/records/object-keys.js';
import { ObjectDeletions } from '../src/storage/object-deletions.service.js';
import { StorageService } from '../src/storage/storage.service.js';
import { auditRowsOf } from './support/audit.js';
import { firstBrokenRow } from './support/audit-chain.js';
import { insertAuditor, randomKey, registerUser, sealedBlob, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionTokenFor } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps, the browser suite makes real ones. */
const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

/** Two segments: erasure must remove every one of them. */
const TWO_SEGMENTS = RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT + 5;

/** Everything of one patient that erasure must remove, and what must survive it. */
interface PatientData {
  user: RegisteredUser;
  folderId: string;
  recordIds: string[];
  uploadId: string;
  consentId: string;
  objectKeys: string[];
}

describe('account erasure (GDPR Art. 17): data, keys and sessions go, the audit trail stays', () => {
  let api: TestApp;
  let storage: StorageService;
  let drHouse: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    storage = api.app.get(StorageService);
    drHouse = await registerUser(api, 'doctor', { displayName: 'Gregory House' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const erase = (user: { client: TestClient; token: string }, body: EraseAccountRequest) => user.client.send(ROUTES.eraseAccount, { token: user.token, body });
  const proofOf = (user: RegisteredUser, reason?: string): EraseAccountRequest => ({
    currentAuthKey: user.request.authKey,
    confirmation: ACCOUNT_ERASURE_CONFIRMATION,
    ...(reason === undefined ? {} : { reason }),
  });
  const grant = (patient: RegisteredUser, body: CreateConsentRequest) =>
    patient.client.send(ROUTES.createConsent, { token: patient.token, body });
  const listRecords = (user: RegisteredUser) => user.client.send(ROUTES.listRecords, { token: user.token });
  const storedObjects = async (keys: string[]) => (await Promise.all(keys.map((key) => storage.sizeOf(key)))).filter((size) => size !== null).length;

  /** A patient with a folder, two records (one of two segments), an upload in progress and a consent for Dr House. */
  async function patientWithData(): Promise<PatientData> {
    const user = await registerUser(api);
    const folderId = (await user.client.send(ROUTES.createFolder, { token: user.token, body: { name: sealedBlob(20) } })).body.id;
    const small = (await uploadRecord(user, 1000, folderId)).summary;
    const large = (await uploadRecord(user, TWO_SEGMENTS)).summary;
    const upload = await presign(user, 2000);
    await putSegments(upload, segmentBodies(2000));
    const consent = await grant(user, {
      doctorId: drHouse.userId,
      scope: 'all',
      wraps: [small.id, large.id].map((recordId) => ({ recordId, wrap: doctorWrap() })),
    });
    if (consent.status !== 201) throw new Error(`grant failed: ${consent.status}`);
    const objectKeys = [
      ...segmentObjectKeys(small.id, small.size, small.chunkBytes),
      ...segmentObjectKeys(large.id, large.size, large.chunkBytes),
      ...segmentObjectKeys(upload.recordId, 2000, upload.chunkBytes),
    ];
    return { user, folderId, recordIds: [small.id, large.id], uploadId: upload.recordId, consentId: consent.body.id, objectKeys };
  }

  /**
   * Rows anywhere in the schema that name this account: every uuid column of
   * every table, so a table added later is covered too. The audit trail (with
   * the SIEM stream's place in it) and the key directory (an append-only log
   * whose old leaves cannot go without breaking every proof: docs/erasure.md)
   * are the places that must keep them.
   */
  async function rowsNaming(userId: string): Promise<string[]> {
    const columns = await api.adminQuery<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type = 'uuid' AND table_name NOT IN ('audit_events', 'audit_chain_heads', 'siem_due', 'siem_cursor', 'siem_progress', 'key_log_leaves')`,
    );
    const found: string[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      const rows = await api.adminQuery(`SELECT 1 FROM "${table}" WHERE "${column}" = $1`, [userId]);
      if (rows.length) found.push(`${table}.${column}`);
    }
    return found.sort();
  }

  async function rowsOfRecords(recordIds: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const table of ['records', 'record_wraps', 'consents', 'uploads']) {
      const column = table === 'records' ? 'id' : 'record_id';
      const rows = await api.adminQuery(`SELECT 1 FROM ${table} WHERE ${column} = ANY($1::uuid[])`, [recordIds]);
      if (rows.length) found.push(table);
    }
    return found;
  }

  describe('refusals, which delete nothing', () => {
    let alice: PatientData;
    let namedBefore: string[];

    beforeAll(async () => {
      alice = await patientWithData();
      namedBefore = await rowsNaming(alice.user.userId);
    });

    async function expectNothingErased(): Promise<void> {
      expect(await rowsNaming(alice.user.userId)).toEqual(namedBefore);
      expect(await storedObjects(alice.objectKeys)).toBe(alice.objectKeys.length);
      const me = await alice.user.client.send(ROUTES.me, { token: alice.user.token });
      expect(me.status).toBe(200);
    }

    it('starts from an account whose rows fill every table of its data', () => {
      expect(namedBefore).toEqual(
        expect.arrayContaining(['credentials.user_id', 'public_keys.user_id', 'refresh_tokens.user_id', 'folders.owner_id', 'uploads.owner_id', 'records.owner_id', 'record_wraps.owner_id', 'consents.patient_id']),
      );
    });

    it('refuses a caller without a token with 401', async () => {
      const response = await testClient(api.baseUrl).send(ROUTES.eraseAccount, { body: proofOf(alice.user) });
      expect(response.status).toBe(401);
      await expectNothingErased();
    });

    it('refuses an auditor with 403: auditors are staff accounts the operator retires', async () => {
      const auditorId = await insertAuditor(api.adminQuery);
      const auditor = { client: testClient(api.baseUrl), token: await sessionTokenFor(api, auditorId, 'auditor') };
      const response = await erase(auditor, { currentAuthKey: randomKey(), confirmation: ACCOUNT_ERASURE_CONFIRMATION });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe(ERROR_CODES.forbidden);
      expect(await api.adminQuery('SELECT 1 FROM users WHERE id = $1', [auditorId])).toHaveLength(1);
    });

    it.each([
      ['no confirmation', { confirmation: undefined }, 'confirmation'],
      ['a confirmation other than the exact words', { confirmation: 'yes' }, 'confirmation'],
      ['no auth key', { currentAuthKey: undefined }, 'currentAuthKey'],
      ['an auth key that is not base64url', { currentAuthKey: '!'.repeat(43) }, 'currentAuthKey'],
      ['a reason longer than the limit', { reason: 'x'.repeat(ERASURE_REASON_MAX_LENGTH + 1) }, 'reason'],
      ['an empty reason', { reason: '' }, 'reason'],
      ['a reason of several lines', { reason: 'line one\nline two' }, 'reason'],
      ['a reason that is not text', { reason: 42 }, 'reason'],
      ['an unknown field', { keepRecords: true }, 'keepRecords'],
    ])('answers %s with 400 naming the field', async (_case, change, field) => {
      // Bodies the contract forbids, on purpose.
      const response = await alice.user.client.unchecked().send(ROUTES.eraseAccount, { token: alice.user.token, body: { ...proofOf(alice.user), ...change } });
      expect(response.status).toBe(400);
      expect(response.error?.code).toBe(ERROR_CODES.validation);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
      await expectNothingErased();
    });

    it('refuses a wrong password with 403, records the denial in the trail, and erases nothing', async () => {
      const response = await erase(alice.user, { ...proofOf(alice.user), currentAuthKey: randomKey() });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe(ERROR_CODES.invalidCredentials);
      const last = (await auditRowsOf(api, alice.user.userId)).at(-1);
      expect(last).toMatchObject({ action: 'account.erase', outcome: 'deny', reason: 'current password is wrong', actor_id: alice.user.userId });
      await expectNothingErased();
    });

    it('erases the account even when the object store fails midway; the sweep then removes the objects left', async () => {
      const removeObjects = storage.remove.bind(storage);
      const remove = jest.spyOn(storage, 'remove').mockImplementationOnce(async (keys: string[]) => {
        // One object goes, then the store stops answering.
        await removeObjects(keys.slice(0, 1));
        throw new Error('store unavailable');
      });
      try {
        const response = await erase(alice.user, proofOf(alice.user, 'store failing'));
        expect(response.status).toBe(200);
      } finally {
        remove.mockRestore();
      }
      // The rows went in one committed transaction; the objects wait in the deletion queue,
      // which names the account only until the store confirms their removal.
      expect(await rowsNaming(alice.user.userId)).toEqual(['object_deletions.owner_id']);
      expect(await storedObjects(alice.objectKeys)).toBe(alice.objectKeys.length - 1);

      expect(await api.app.get(ObjectDeletions).drain()).toBe(alice.objectKeys.length);
      expect(await rowsNaming(alice.user.userId)).toEqual([]);
      expect(await storedObjects(alice.objectKeys)).toBe(0);
    });
  });

  describe('a patient erases their account', () => {
    let alice: PatientData;
    let bob: PatientData;
    let trailBefore: number;
    let receipt: AccountErasureReceipt;
    let refreshCookie: string;

    beforeAll(async () => {
      alice = await patientWithData();
      bob = await patientWithData();
      // Dr House has read one of Alice's records: that history belongs to her trail and stays.
      expect((await drHouse.client.send(ROUTES.getRecord, { params: { id: alice.recordIds[0] }, token: drHouse.token })).status).toBe(200);
      trailBefore = (await auditRowsOf(api, alice.user.userId)).length;
      refreshCookie = alice.user.client.cookies.get(REFRESH_COOKIE_NAME) ?? '';
      expect(refreshCookie).not.toBe('');
      const response = await erase(alice.user, proofOf(alice.user, '  moving to another provider  '));
      expect(response.status).toBe(200);
      receipt = response.body;
    });

    it('answers with what was erased and ends the refresh cookie', () => {
      expect(receipt).toEqual({ erasedAt: expect.any(String), records: 2, uploads: 1, folders: 1, consents: 1, objects: 4 });
      // Only the device cookie stays: it names no account (its row for this one went with the account) and may serve others on this browser.
      expect([...alice.user.client.cookies.keys()]).toEqual([DEVICE_COOKIE_NAME]);
    });

    it('removes every object of every record and of the upload in progress, all segments', async () => {
      expect(alice.objectKeys).toHaveLength(4);
      expect(await storedObjects(alice.objectKeys)).toBe(0);
    });

    it('leaves no row naming the account in any table but the audit trail', async () => {
      expect(await rowsNaming(alice.user.userId)).toEqual([]);
      expect(await rowsOfRecords([...alice.recordIds, alice.uploadId])).toEqual([]);
      expect(await api.adminQuery('SELECT 1 FROM folders WHERE id = $1', [alice.folderId])).toHaveLength(0);
      expect(await api.adminQuery('SELECT 1 FROM consents WHERE id = $1', [alice.consentId])).toHaveLength(0);
      // Dr House's wraps of her records went with them.
      expect(await api.adminQuery('SELECT 1 FROM record_wraps WHERE recipient_id = $1 AND owner_id = $2', [drHouse.userId, alice.user.userId])).toHaveLength(0);
    });

    it('logs in the key directory that the account has no key any more, after its registration’s binding', async () => {
      const bindings = await api.adminQuery<{ public_key: string | null; fingerprint: string | null; role: string }>(
        'SELECT public_key, fingerprint, role FROM key_log_leaves WHERE user_id = $1 ORDER BY leaf_index',
        [alice.user.userId],
      );
      expect(bindings).toEqual([
        { public_key: alice.user.request.keys.publicKey, fingerprint: alice.user.session.keys.fingerprint, role: 'patient' },
        { public_key: null, fingerprint: null, role: 'patient' },
      ]);
    });

    it('keeps the audit trail, adds the erasure with its reason, and the chain still verifies against its head', async () => {
      const rows = await auditRowsOf(api, alice.user.userId);
      expect(rows).toHaveLength(trailBefore + 1);
      expect(rows.map((row) => row.action)).toEqual(expect.arrayContaining(['account.register', 'record.create', 'consent.grant', 'record.read']));
      expect(rows.at(-1)).toMatchObject({
        action: 'account.erase',
        outcome: 'allow',
        actor_id: alice.user.userId,
        actor_role: 'patient',
        reason: 'erased 2 record(s), 1 upload(s), 1 folder(s), 1 consent(s), 4 object(s); reason: moving to another provider',
      });
      expect(await firstBrokenRow(rows)).toBeNull();
      const last = rows[rows.length - 1];
      const [head] = await api.adminQuery<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_heads WHERE subject_id = $1', [alice.user.userId]);
      expect({ seq: Number(head.seq), hash: head.hash }).toEqual({ seq: Number(last.seq), hash: last.hash });
    });

    it('lets an auditor still read the erased account’s trail', async () => {
      const auditorId = await insertAuditor(api.adminQuery);
      const token = await sessionTokenFor(api, auditorId, 'auditor');
      const trail = await testClient(api.baseUrl).send(ROUTES.listAudit, { query: { subjectId: alice.user.userId, action: 'account.erase' }, token });
      expect(trail.status).toBe(200);
      expect(trail.body.items.map((event) => event.action)).toEqual(['account.erase']);
    });

    it('stops the old access token at once (401), and the refresh token too', async () => {
      for (const route of [ROUTES.me, ROUTES.listRecords, ROUTES.listFolders, ROUTES.listAudit]) {
        const response = await alice.user.client.send(route, { token: alice.user.token });
        expect([route.path, response.status]).toEqual([route.path, 401]);
      }
      const presigned = await alice.user.client.send(ROUTES.presignUpload, { token: alice.user.token, body: { size: 10 } });
      expect(presigned.status).toBe(401);
      const again = await erase(alice.user, proofOf(alice.user));
      expect(again.status).toBe(401);
      const stolenCookie = testClient(api.baseUrl);
      stolenCookie.cookies.set(REFRESH_COOKIE_NAME, refreshCookie);
      expect((await stolenCookie.send(ROUTES.refresh)).status).toBe(401);
    });

    it('refuses sign-in with the old password', async () => {
      const response = await testClient(api.baseUrl).send(ROUTES.login, {
        body: { email: alice.user.request.email, authKey: alice.user.request.authKey },
      });
      expect(response.status).toBe(401);
      expect(response.error?.code).toBe(ERROR_CODES.invalidCredentials);
    });

    it('lets the same email register again, as a new, empty account', async () => {
      const client = testClient(api.baseUrl);
      const response = await client.send(ROUTES.register, { body: await verifiedRegistration(api, { email: alice.user.request.email }) });
      expect(response.status).toBe(201);
      expect(response.body.user.id).not.toBe(alice.user.userId);
      const records = await client.send(ROUTES.listRecords, { token: response.body.accessToken });
      expect(records.body.items).toEqual([]);
      // A trail of its own, from the start; the old one stays under the old id.
      expect((await auditRowsOf(api, response.body.user.id)).map((row) => `${row.seq}:${row.action}`)).toEqual(['1:account.register', '2:record.list']);
    });

    it('leaves another patient’s records, objects, consent and Dr House’s wraps of them untouched', async () => {
      expect(await storedObjects(bob.objectKeys)).toBe(bob.objectKeys.length);
      const records = await listRecords(bob.user);
      expect(records.body.items.map((item) => item.id).sort()).toEqual([...bob.recordIds].sort());
      const wraps = await api.adminQuery('SELECT 1 FROM record_wraps WHERE recipient_id = $1 AND owner_id = $2', [drHouse.userId, bob.user.userId]);
      expect(wraps).toHaveLength(2);
      expect(await api.adminQuery(`SELECT 1 FROM consents WHERE id = $1 AND status = 'active'`, [bob.consentId])).toHaveLength(1);
    });

    it('takes the records away from the doctor the patient had consented to', async () => {
      const read = await drHouse.client.send(ROUTES.getRecord, { params: { id: alice.recordIds[0] }, token: drHouse.token });
      expect(read.status).toBe(404);
      const listed = await listRecords(drHouse);
      expect(listed.body.items.map((item) => item.ownerId)).not.toContain(alice.user.userId);
      const consents = await drHouse.client.send(ROUTES.listConsents, { token: drHouse.token });
      expect(consents.body.items.map((consent) => consent.id)).not.toContain(alice.consentId);
      expect(consents.body.items.map((consent) => consent.id)).toContain(bob.consentId);
    });
  });

  describe('a doctor erases their account', () => {
    let carol: PatientData;
    let drWho: RegisteredUser;
    let consentId: string;

    beforeAll(async () => {
      carol = await patientWithData();
      drWho = await registerUser(api, 'doctor', { displayName: 'John Smith' });
      const consent = await grant(carol.user, { doctorId: drWho.userId, scope: 'record', recordId: carol.recordIds[0], wraps: [{ recordId: carol.recordIds[0], wrap: doctorWrap() }] });
      consentId = consent.body.id;
      const response = await erase(drWho, proofOf(drWho, 'retiring'));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ records: 0, uploads: 0, folders: 0, consents: 1, objects: 0 });
    });

    it('loses their keys, wraps and sessions, and their token stops working', async () => {
      expect(await rowsNaming(drWho.userId)).toEqual([]);
      const response = await drWho.client.send(ROUTES.listRecords, { token: drWho.token });
      expect(response.status).toBe(401);
    });

    it('ends the consents that named them, and says so in the patient’s own trail', async () => {
      const consents = await carol.user.client.send(ROUTES.listConsents, { token: carol.user.token });
      expect(consents.body.items.map((consent) => consent.id)).toEqual([carol.consentId]);
      const ended = (await auditRowsOf(api, carol.user.userId)).filter((row) => row.consent_id === consentId);
      expect(ended.map((row) => [row.action, row.outcome, row.actor_id, row.reason])).toEqual([
        ['consent.grant', 'allow', carol.user.userId, null],
        ['consent.revoke', 'allow', drWho.userId, 'the doctor erased their account'],
      ]);
      expect(await firstBrokenRow(await auditRowsOf(api, carol.user.userId))).toBeNull();
    });

    it('leaves the patient’s records and objects as they were', async () => {
      expect(await storedObjects(carol.objectKeys)).toBe(carol.objectKeys.length);
      expect((await listRecords(carol.user)).body.items).toHaveLength(2);
      const doctorTrail = await auditRowsOf(api, drWho.userId);
      expect(doctorTrail.at(-1)).toMatchObject({ action: 'account.erase', outcome: 'allow', actor_role: 'doctor', reason: expect.stringMatching(/reason: retiring$/) });
    });
  });
});
