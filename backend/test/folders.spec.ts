import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES, type Folder } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { fingerprintOf, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('folders: names sealed under the account key, only empty ones deleted', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    bob = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function createFolder(user: RegisteredUser, name = sealedBlob(24)): Promise<Folder> {
    const response = await user.client.send(ROUTES.createFolder, { token: user.token, body: { name } });
    expect(response.status).toBe(201);
    return response.body;
  }
  const rename = (user: RegisteredUser, id: string, name: string) => user.client.send(ROUTES.renameFolder, { params: { id }, token: user.token, body: { name } });
  const remove = (user: RegisteredUser, id: string) => user.client.send(ROUTES.deleteFolder, { params: { id }, token: user.token });
  const list = (user: RegisteredUser) => user.client.send(ROUTES.listFolders, { token: user.token });

  it('creates, lists, renames and deletes a folder, storing only the sealed name', async () => {
    const name = sealedBlob(24);
    const folder = await createFolder(alice, name);
    expect(folder).toEqual({ id: expect.any(String), name, createdAt: expect.any(String) });
    expect((await list(alice)).body.items).toContainEqual(folder);

    const newName = sealedBlob(30);
    const renamed = await rename(alice, folder.id, newName);
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe(newName);
    expect(await api.adminQuery('SELECT name FROM folders WHERE id = $1', [folder.id])).toEqual([{ name: newName }]);

    expect((await remove(alice, folder.id)).status).toBe(204);
    expect((await list(alice)).body.items.map((item) => item.id)).not.toContain(folder.id);
    expect((await auditTrailOf(api, alice.userId)).filter((entry) => entry.startsWith('folder.'))).toEqual([
      'folder.create:allow',
      'folder.list:allow',
      'folder.rename:allow',
      'folder.delete:allow',
      'folder.list:allow',
    ]);
  });

  it('refuses to delete a folder that still holds a record, and deletes it once empty', async () => {
    const folder = await createFolder(alice);
    const { summary } = await uploadRecord(alice, 10, folder.id);
    const refused = await remove(alice, folder.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: ERROR_CODES.folderNotEmpty });
    expect((await list(alice)).body.items.map((item) => item.id)).toContain(folder.id);

    expect((await alice.client.send(ROUTES.deleteRecord, { params: { id: summary.id }, token: alice.token })).status).toBe(204);
    expect((await remove(alice, folder.id)).status).toBe(204);
  });

  it('ends the consents and the trusted contacts over a folder it deletes, in the trail, and drops the doctor’s wraps of its records in the trash', async () => {
    const patient = await registerUser(api);
    const doctor = await registerUser(api, 'doctor', { displayName: 'Folder Doctor' });
    const contact = await registerUser(api);
    const folder = await createFolder(patient);
    const { summary } = await uploadRecord(patient, 10, folder.id);
    const wrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');
    const consent = await patient.client.send(ROUTES.createConsent, {
      token: patient.token,
      body: { doctorId: doctor.userId, scope: 'folder', folderId: folder.id, wraps: [{ recordId: summary.id, wrap: wrap() }] },
    });
    expect(consent.status).toBe(201);
    const named = await patient.client.send(ROUTES.nameTrustedContact, {
      token: patient.token,
      body: { contactId: contact.userId, email: contact.request.email, scope: 'folder', folderId: folder.id, waitDays: 7, fingerprint: fingerprintOf(contact), wraps: [{ recordId: summary.id, wrap: wrap() }] },
    });
    expect(named.status).toBe(201);
    expect((await patient.client.send(ROUTES.trashRecord, { params: { id: summary.id }, token: patient.token })).status).toBe(200);
    const before = (await auditRowsOf(api, patient.userId)).length;

    expect((await remove(patient, folder.id)).status).toBe(204);
    const reason = `its folder ${folder.id} was deleted`;
    expect((await auditRowsOf(api, patient.userId)).slice(before).map((row) => [row.action, row.outcome, row.consent_id, row.reason])).toEqual([
      ['consent.revoke', 'allow', consent.body.id, reason],
      ['contact.removed', 'allow', null, `contact ${contact.userId}: ${reason}`],
      ['folder.delete', 'allow', null, folder.id],
    ]);
    expect(await api.adminQuery('SELECT 1 FROM record_wraps WHERE record_id = $1 AND recipient_id = ANY($2::uuid[])', [summary.id, [doctor.userId, contact.userId]])).toEqual([]);
    // Restored, the record is outside any folder, and no one it was shared with may read it.
    expect((await patient.client.send(ROUTES.restoreRecord, { params: { id: summary.id }, token: patient.token })).body.folderId).toBeNull();
    expect((await doctor.client.unchecked().send(ROUTES.getRecord, { params: { id: summary.id }, token: doctor.token })).status).toBe(404);
  });

  it('keeps each patient’s folders to themselves: another’s folder is 404 like none, and nothing changes', async () => {
    const folder = await createFolder(alice);
    expect((await list(bob)).body.items.map((item) => item.id)).not.toContain(folder.id);
    for (const id of [folder.id, randomUUID()]) {
      const renamed = await rename(bob, id, sealedBlob(24));
      const removed = await remove(bob, id);
      expect([renamed.status, removed.status]).toEqual([404, 404]);
      expect(removed.body).toMatchObject({ code: ERROR_CODES.notFound, message: 'No such folder' });
    }
    expect((await list(alice)).body.items).toContainEqual(folder);
    expect((await auditTrailOf(api, bob.userId)).filter((entry) => entry.startsWith('folder.'))).toEqual([
      'folder.list:allow',
      'folder.rename:deny',
      'folder.delete:deny',
      'folder.rename:deny',
      'folder.delete:deny',
    ]);
  });

  it.each([
    ['a plaintext name', 'Lab results'],
    ['an empty name', ''],
    ['a number', 42],
    ['no name', undefined],
  ])('answers %s with 400 naming the field, on create and on rename', async (_case, name) => {
    const folder = await createFolder(alice);
    // Names the contract forbids, on purpose.
    const created = await alice.client.unchecked().send(ROUTES.createFolder, { token: alice.token, body: { name } });
    const renamed = await alice.client.unchecked().send(ROUTES.renameFolder, { params: { id: folder.id }, token: alice.token, body: { name } });
    for (const response of [created, renamed]) {
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain('name');
    }
  });

  it('answers a folder id that is no UUID with 400', async () => {
    const response = await remove(alice, 'folder-1');
    expect(response.status).toBe(400);
    expect(response.error?.fields?.[0].field).toBe('id');
  });
});
