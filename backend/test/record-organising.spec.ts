/**
 * Organising records (docs/protocol.md "Organising records", "Trash"): the
 * trash and restoring from it, the sweep that deletes what stayed in the trash
 * past its retention, metadata re-sealed in the browser, and moves between
 * folders, which change which doctors' consents cover a record. Who may call
 * each route at all (no token, forged token, wrong role, a stranger's id) is
 * checked for every route by route-access.spec.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES, type RecordListView } from '@phr/shared-types';
import { TrashSweeper } from '../src/jobs/trash-sweeper.js';
import { segmentObjectKeys } from '../src/records/object-keys.js';
import { StorageService } from '../src/storage/storage.service.js';
import { auditRowsOf } from './support/audit.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DAY_SECONDS = 86_400;
/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps. */
const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

describe('organising records: trash, restore, purge, metadata, moves', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let drHouse: RegisteredUser;
  let drWho: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({ SWEEP_INTERVAL_SECONDS: '0', TRASH_RETENTION_SECONDS: String(30 * DAY_SECONDS) });
    alice = await registerUser(api);
    drHouse = await registerUser(api, 'doctor', { displayName: 'Gregory House' });
    drWho = await registerUser(api, 'doctor', { displayName: 'John Smith' });
  });
  afterAll(async () => {
    await api?.close();
  });

  const listed = async (user: RegisteredUser, view?: RecordListView) =>
    (await user.client.send(ROUTES.listRecords, { token: user.token, query: view ? { view } : {} })).body.items.map((item) => item.id);
  const trash = (user: RegisteredUser, id: string) => user.client.send(ROUTES.trashRecord, { params: { id }, token: user.token });
  const restore = (user: RegisteredUser, id: string) => user.client.send(ROUTES.restoreRecord, { params: { id }, token: user.token });
  const read = (user: RegisteredUser, id: string) => user.client.send(ROUTES.getRecord, { params: { id }, token: user.token });
  const updateMetadata = (user: RegisteredUser, id: string, metadata: string) => user.client.send(ROUTES.updateRecordMetadata, { params: { id }, token: user.token, body: { metadata } });
  const createFolder = async (user: RegisteredUser) => (await user.client.send(ROUTES.createFolder, { token: user.token, body: { name: sealedBlob(20) } })).body.id;
  const trailOf = async (user: RegisteredUser, recordId: string) =>
    (await auditRowsOf(api, user.userId)).filter((row) => row.record_id === recordId).map((row) => `${row.action}:${row.outcome}:${row.actor_id ?? 'system'}`);
  const wrapHolders = async (recordId: string) =>
    (await api.adminQuery<{ recipient_id: string }>('SELECT recipient_id FROM record_wraps WHERE record_id = $1 AND recipient_id <> owner_id ORDER BY recipient_id', [recordId])).map(
      (row) => row.recipient_id,
    );

  describe('the trash', () => {
    it('moves a record to the trash and back: listed in the trash only, its folder kept, both steps in the trail', async () => {
      const folderId = await createFolder(alice);
      const { summary } = await uploadRecord(alice, 100, folderId);
      const trashed = await trash(alice, summary.id);
      expect(trashed.status).toBe(200);
      expect(trashed.body).toMatchObject({ id: summary.id, folderId, wrap: summary.wrap, trashedAt: expect.any(String) });
      expect(await listed(alice)).not.toContain(summary.id);
      expect(await listed(alice, 'trash')).toContain(summary.id);
      // The owner may still open it, to see what they are about to lose.
      expect((await read(alice, summary.id)).status).toBe(200);

      const restored = await restore(alice, summary.id);
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({ id: summary.id, folderId, trashedAt: null });
      expect(await listed(alice)).toContain(summary.id);
      expect(await listed(alice, 'trash')).not.toContain(summary.id);
      expect(await trailOf(alice, summary.id)).toEqual(expect.arrayContaining([`record.trash:allow:${alice.userId}`, `record.restore:allow:${alice.userId}`]));
    });

    it('refuses to trash a record twice, or to restore one not in the trash (409)', async () => {
      const { summary } = await uploadRecord(alice);
      expect((await restore(alice, summary.id)).error?.code).toBe(ERROR_CODES.recordNotInTrash);
      expect((await trash(alice, summary.id)).status).toBe(200);
      const again = await trash(alice, summary.id);
      expect(again.status).toBe(409);
      expect(again.error?.code).toBe(ERROR_CODES.recordInTrash);
    });

    it('hides a record in the trash from a doctor whose consent covers it, and shows it again once restored', async () => {
      const patient = await registerUser(api);
      const { summary } = await uploadRecord(patient);
      const wrap = doctorWrap();
      expect((await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: drHouse.userId, scope: 'all', wraps: [{ recordId: summary.id, wrap }] } })).status).toBe(201);
      expect((await read(drHouse, summary.id)).status).toBe(200);

      await trash(patient, summary.id);
      expect((await read(drHouse, summary.id)).status).toBe(404);
      expect(await listed(drHouse)).not.toContain(summary.id);
      expect(await listed(drHouse, 'trash')).toEqual([]);

      await restore(patient, summary.id);
      const again = await read(drHouse, summary.id);
      expect(again.status).toBe(200);
      expect(again.body.wrap).toBe(wrap);
    });

    it('takes the records in the trash into a share made while they are there: their wraps are asked for, and a restore shows them with no new wrap', async () => {
      const patient = await registerUser(api);
      const folderId = await createFolder(patient);
      const active = await uploadRecord(patient, 10, folderId);
      const inTrash = await uploadRecord(patient, 10, folderId);
      await trash(patient, inTrash.summary.id);
      const share = (wraps: Array<{ recordId: string; wrap: string }>) =>
        patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: drWho.userId, scope: 'folder', folderId, wraps } });

      const withoutTrash = await share([{ recordId: active.summary.id, wrap: doctorWrap() }]);
      expect(withoutTrash.status).toBe(400);
      expect(withoutTrash.error?.code).toBe(ERROR_CODES.wrapsMismatch);
      const trashedWrap = doctorWrap();
      expect((await share([{ recordId: active.summary.id, wrap: doctorWrap() }, { recordId: inTrash.summary.id, wrap: trashedWrap }])).status).toBe(201);
      expect((await read(drWho, inTrash.summary.id)).status).toBe(404);

      await restore(patient, inTrash.summary.id);
      const restored = await read(drWho, inTrash.summary.id);
      expect(restored.status).toBe(200);
      expect(restored.body.wrap).toBe(trashedWrap);
    });

    it('deletes a record that stayed in the trash past the retention: rows and objects go, the purge by system in the trail', async () => {
      const patient = await registerUser(api);
      const old = await uploadRecord(patient, 3000);
      const recent = await uploadRecord(patient, 10);
      const restoredInTime = await uploadRecord(patient, 10);
      for (const record of [old, recent, restoredInTime]) await trash(patient, record.summary.id);
      await api.adminQuery(`UPDATE records SET trashed_at = now() - make_interval(secs => $2) WHERE id = $1`, [old.summary.id, 30 * DAY_SECONDS + 60]);
      await api.adminQuery(`UPDATE records SET trashed_at = now() - make_interval(secs => $2) WHERE id = $1`, [recent.summary.id, 29 * DAY_SECONDS]);
      await api.adminQuery(`UPDATE records SET trashed_at = now() - make_interval(secs => $2) WHERE id = $1`, [restoredInTime.summary.id, 31 * DAY_SECONDS]);
      await restore(patient, restoredInTime.summary.id);

      const purged = await api.app.get(TrashSweeper).sweep();
      expect(purged).toContain(old.summary.id);
      expect(purged).not.toContain(recent.summary.id);
      expect(purged).not.toContain(restoredInTime.summary.id);

      expect((await read(patient, old.summary.id)).status).toBe(404);
      expect(await listed(patient, 'trash')).toEqual([recent.summary.id]);
      expect(await listed(patient)).toEqual([restoredInTime.summary.id]);
      const storage = api.app.get(StorageService);
      for (const key of segmentObjectKeys(old.summary.id, old.summary.size, old.summary.chunkBytes)) expect(await storage.sizeOf(key)).toBeNull();
      expect(await api.adminQuery('SELECT 1 FROM record_wraps WHERE record_id = $1', [old.summary.id])).toEqual([]);

      // (The read above, of a record that is gone, is the trail's last row: a denied read.)
      const rows = (await auditRowsOf(api, patient.userId)).filter((row) => row.record_id === old.summary.id && row.action !== 'record.read');
      expect(rows.map((row) => `${row.action}:${row.outcome}`)).toEqual(['record.upload:allow', 'record.create:allow', 'record.trash:allow', 'record.purge:allow']);
      const purge = rows.at(-1);
      expect(purge?.actor_id).toBeNull();
      expect(purge?.reason).toMatch(/^in the trash since .+; deleted$/);
    });

    it('ends the consents over one record when it is deleted or purged, each in the trail with why, by whoever deleted it', async () => {
      const patient = await registerUser(api);
      const deleted = await uploadRecord(patient, 10);
      const purgedRecord = await uploadRecord(patient, 10);
      const shareOne = async (recordId: string) =>
        (await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: drWho.userId, scope: 'record', recordId, wraps: [{ recordId, wrap: doctorWrap() }] } })).body.id;
      const [deletedConsent, purgedConsent] = [await shareOne(deleted.summary.id), await shareOne(purgedRecord.summary.id)];

      expect((await patient.client.send(ROUTES.deleteRecord, { params: { id: deleted.summary.id }, token: patient.token })).status).toBe(204);
      await trash(patient, purgedRecord.summary.id);
      await api.adminQuery(`UPDATE records SET trashed_at = now() - make_interval(secs => $2) WHERE id = $1`, [purgedRecord.summary.id, 31 * DAY_SECONDS]);
      expect(await api.app.get(TrashSweeper).sweep()).toContain(purgedRecord.summary.id);

      const revocations = (await auditRowsOf(api, patient.userId)).filter((row) => row.action === 'consent.revoke');
      expect(revocations.map((row) => [row.consent_id, row.outcome, row.actor_id, row.reason])).toEqual([
        [deletedConsent, 'allow', patient.userId, `its record ${deleted.summary.id} was deleted`],
        [purgedConsent, 'allow', null, `its record ${purgedRecord.summary.id} was purged from the trash`],
      ]);
    });

    it('lets a folder go while records of it are in the trash: restored, they come back outside any folder', async () => {
      const folderId = await createFolder(alice);
      const { summary } = await uploadRecord(alice, 10, folderId);
      const refused = await alice.client.send(ROUTES.deleteFolder, { params: { id: folderId }, token: alice.token });
      expect(refused.status).toBe(409);
      expect(refused.error?.message).toBe('The folder still holds records; move them to another folder or to the trash first');
      await trash(alice, summary.id);
      expect((await alice.client.send(ROUTES.deleteFolder, { params: { id: folderId }, token: alice.token })).status).toBe(204);
      expect((await restore(alice, summary.id)).body).toMatchObject({ folderId: null, trashedAt: null });
    });

    it('answers an unknown view with 400 naming it', async () => {
      const response = await alice.client.unchecked().send(ROUTES.listRecords, { token: alice.token, query: { view: 'deleted' } });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('view');
    });
  });

  describe('metadata', () => {
    it('replaces the sealed metadata, which the listing then carries, and audits it', async () => {
      const { summary } = await uploadRecord(alice);
      const metadata = sealedBlob(240);
      const updated = await updateMetadata(alice, summary.id, metadata);
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ id: summary.id, metadata, wrap: summary.wrap });
      const page = await alice.client.send(ROUTES.listRecords, { token: alice.token });
      expect(page.body.items.find((item) => item.id === summary.id)?.metadata).toBe(metadata);
      expect(await trailOf(alice, summary.id)).toContain(`record.update:allow:${alice.userId}`);
    });

    it.each([
      ['missing', {}],
      ['not base64url', { metadata: '!'.repeat(80) }],
      ['too short to be sealed', { metadata: 'AAAA' }],
    ])('answers metadata %s with 400 naming metadata', async (_case, body) => {
      const { summary } = await uploadRecord(alice);
      const response = await alice.client.unchecked().send(ROUTES.updateRecordMetadata, { params: { id: summary.id }, token: alice.token, body });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain('metadata');
    });

    it('refuses to change a record in the trash (409), and another patient’s record as if it did not exist, in its owner’s trail', async () => {
      const { summary } = await uploadRecord(alice);
      await trash(alice, summary.id);
      expect((await updateMetadata(alice, summary.id, sealedBlob(60))).error?.code).toBe(ERROR_CODES.recordInTrash);
      await restore(alice, summary.id);

      const mallory = await registerUser(api);
      const stranger = await updateMetadata(mallory, summary.id, sealedBlob(60));
      expect(stranger.status).toBe(404);
      const denial = (await auditRowsOf(api, alice.userId)).find((row) => row.record_id === summary.id && row.action === 'record.update' && row.outcome === 'deny');
      expect(denial).toMatchObject({ actor_id: mallory.userId, reason: 'not the owner' });
    });
  });

  describe('moving between folders', () => {
    const move = (user: RegisteredUser, id: string, folderId: string | null, doctorWraps?: Array<{ doctorId: string; wrap: string }>) =>
      user.client.send(ROUTES.moveRecord, { params: { id }, token: user.token, body: { folderId, doctorWraps } });
    const preview = (user: RegisteredUser, id: string, folderId?: string) => user.client.send(ROUTES.moveRecordPreview, { params: { id }, token: user.token, query: folderId ? { folderId } : {} });

    it('moves a record into a folder a doctor’s consent covers: the move must carry their wrap, and they read it after', async () => {
      const patient = await registerUser(api);
      const shared = await createFolder(patient);
      expect((await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: drWho.userId, scope: 'folder', folderId: shared, wraps: [] } })).status).toBe(201);
      const { summary } = await uploadRecord(patient);
      expect((await read(drWho, summary.id)).status).toBe(404);

      const check = await preview(patient, summary.id, shared);
      expect(check.status).toBe(200);
      expect(check.body).toEqual({ coveringDoctors: [{ id: drWho.userId, displayName: 'John Smith', publicKey: drWho.request.keys.publicKey }], losingDoctors: [] });

      const withoutWrap = await move(patient, summary.id, shared);
      expect(withoutWrap.status).toBe(409);
      expect(withoutWrap.error?.code).toBe(ERROR_CODES.doctorWrapMissing);
      const wrongDoctor = await move(patient, summary.id, shared, [{ doctorId: drHouse.userId, wrap: doctorWrap() }]);
      expect(wrongDoctor.status).toBe(400);
      expect(wrongDoctor.error?.fields?.[0].field).toBe('doctorWraps');

      const wrap = doctorWrap();
      const moved = await move(patient, summary.id, shared, [{ doctorId: drWho.userId, wrap }]);
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ id: summary.id, folderId: shared });
      const detail = await read(drWho, summary.id);
      expect(detail.status).toBe(200);
      expect(detail.body.wrap).toBe(wrap);
      const moveRow = (await auditRowsOf(api, patient.userId)).find((row) => row.record_id === summary.id && row.action === 'record.move');
      expect(moveRow?.reason).toBe(`from no folder to ${shared}; wrapped for ${drWho.userId}`);
    });

    it('moves a record out of a shared folder: the doctor’s wrap is removed, a doctor with a consent over everything keeps theirs', async () => {
      const patient = await registerUser(api);
      const shared = await createFolder(patient);
      const { summary } = await uploadRecord(patient, 10, shared);
      const folderWrap = doctorWrap();
      await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: drWho.userId, scope: 'folder', folderId: shared, wraps: [{ recordId: summary.id, wrap: folderWrap }] } });
      await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: drHouse.userId, scope: 'all', wraps: [{ recordId: summary.id, wrap: doctorWrap() }] } });
      expect(await wrapHolders(summary.id)).toEqual([drHouse.userId, drWho.userId].sort());

      const check = await preview(patient, summary.id);
      expect(check.body).toEqual({ coveringDoctors: [], losingDoctors: [{ id: drWho.userId, displayName: 'John Smith' }] });

      const moved = await move(patient, summary.id, null);
      expect(moved.status).toBe(200);
      expect(moved.body.folderId).toBeNull();
      expect(await wrapHolders(summary.id)).toEqual([drHouse.userId]);
      expect((await read(drWho, summary.id)).status).toBe(404);
      expect((await read(drHouse, summary.id)).status).toBe(200);
      const moveRow = (await auditRowsOf(api, patient.userId)).find((row) => row.record_id === summary.id && row.action === 'record.move');
      expect(moveRow?.reason).toBe(`from ${shared} to no folder; wraps removed for ${drWho.userId}`);
    });

    it('refuses another patient’s folder as the destination (400 naming folderId, the attempt in that patient’s trail)', async () => {
      const { summary } = await uploadRecord(alice);
      const bob = await registerUser(api);
      const bobsFolder = await createFolder(bob);
      const response = await move(alice, summary.id, bobsFolder);
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('folderId');
      expect((await auditRowsOf(api, bob.userId)).some((row) => row.action === 'record.move' && row.outcome === 'deny')).toBe(true);
      expect((await move(alice, summary.id, randomUUID())).error?.fields?.[0].field).toBe('folderId');
    });

    it.each([
      ['a folderId that is no uuid', { folderId: 'x' }, 'folderId'],
      ['no folderId at all', {}, 'folderId'],
      ['a malformed wrap', { folderId: null, doctorWraps: [{ doctorId: randomUUID(), wrap: 'short' }] }, 'doctorWraps'],
    ])('answers %s with 400 naming the field', async (_case, body, field) => {
      const { summary } = await uploadRecord(alice);
      const response = await alice.client.unchecked().send(ROUTES.moveRecord, { params: { id: summary.id }, token: alice.token, body });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field.split('.')[0].split('[')[0])).toContain(field);
    });

    it('answers a preview with a malformed folderId with 400, and refuses to move a record in the trash', async () => {
      const { summary } = await uploadRecord(alice);
      const malformed = await alice.client.unchecked().send(ROUTES.moveRecordPreview, { params: { id: summary.id }, token: alice.token, query: { folderId: 'nope' } });
      expect(malformed.status).toBe(400);
      expect(malformed.error?.fields?.[0].field).toBe('folderId');
      await trash(alice, summary.id);
      expect((await move(alice, summary.id, null)).error?.code).toBe(ERROR_CODES.recordInTrash);
    });
  });
});
