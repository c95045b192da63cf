/**
 * Deleting a record is crash-safe (DESIGN 5, "Delete"): the objects are
 * queued in the transaction that deletes the rows and removed only after it
 * committed. Whatever fails, and wherever the API dies, a record is either
 * whole (listed, and every byte downloadable) or gone from every listing with
 * its objects removed by the sweep; never listed without its content.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { ROUTES } from '@phr/shared-types';
import { segmentObjectKeys } from '../src/records/object-keys.js';
import { ObjectDeletions } from '../src/storage/object-deletions.service.js';
import { StorageService } from '../src/storage/storage.service.js';
import { startApiProcess } from './support/api-process.js';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { uploadRecord, type UploadedRecord } from './support/records.js';
import { startStoreProcess, type StoreProcess } from './support/store-process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(120_000);

describe('deleting a record never leaves a listed record without its content', () => {
  let store: StoreProcess;
  let api: TestApp;
  let patient: RegisteredUser;

  beforeAll(async () => {
    store = await startStoreProcess();
    api = await startTestApp({ ...store.env, S3_TIMEOUT_MS: '1500' });
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  const listed = async (): Promise<string[]> =>
    (await patient.client.send(ROUTES.listRecords, { token: patient.token })).body.items.map((item) => item.id);
  const keysOf = (record: UploadedRecord) => segmentObjectKeys(record.summary.id, record.summary.size, record.summary.chunkBytes);
  const storedObjects = async (record: UploadedRecord) => {
    const storage = api.app.get(StorageService);
    return (await Promise.all(keysOf(record).map((key) => storage.sizeOf(key)))).filter((size) => size !== null).length;
  };
  const queued = async (record: UploadedRecord) =>
    (await api.adminQuery('SELECT object_key FROM object_deletions WHERE record_id = $1', [record.summary.id])).length;
  const deleteThrough = (baseUrl: string, recordId: string) =>
    testClient(baseUrl).send(ROUTES.deleteRecord, { params: { id: recordId }, token: patient.token });

  /** Listed, and every segment downloads with exactly the bytes that were uploaded. */
  async function expectWhole(record: UploadedRecord): Promise<void> {
    expect(await listed()).toContain(record.summary.id);
    const detail = await patient.client.send(ROUTES.getRecord, { params: { id: record.summary.id }, token: patient.token });
    expect(detail.status).toBe(200);
    for (const segment of detail.body.segments) {
      const download = await fetch(segment.url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(record.bodies[segment.index])).toBe(true);
    }
  }

  it('keeps the record whole when the deleting transaction fails at COMMIT', async () => {
    const record = await uploadRecord(patient, 3000);
    // A deferred check that PostgreSQL runs at COMMIT, and fails, as a server dying at that moment would.
    await api.adminQuery(`CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused'; END $$`);
    await api.adminQuery(
      `CREATE CONSTRAINT TRIGGER refuse_commit AFTER DELETE ON records DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW WHEN (OLD.id = '${record.summary.id}') EXECUTE FUNCTION refuse_commit()`,
    );
    try {
      const response = await deleteThrough(api.baseUrl, record.summary.id);
      expect(response.status).toBe(500);
    } finally {
      await api.adminQuery('DROP TRIGGER refuse_commit ON records');
      await api.adminQuery('DROP FUNCTION refuse_commit()');
    }
    await expectWhole(record);
    expect(await queued(record)).toBe(0);
  });

  it('keeps the record whole when the API dies before the deleting transaction commits', async () => {
    const record = await uploadRecord(patient, 3000);
    const second = await startApiProcess(api, { ...store.env, DATABASE_LOCK_TIMEOUT_MS: '60000' });
    const operator = new pg.Client({ connectionString: api.database.adminUrl });
    operator.on('error', () => undefined);
    await operator.connect();
    try {
      // The record's row is held, so the deletion stops inside its transaction, before it sends COMMIT
      // (its audit rows travel with the COMMIT, so a lock on the chain head would hold a COMMIT already sent).
      await operator.query('BEGIN');
      await operator.query('SELECT 1 FROM records WHERE id = $1 FOR UPDATE', [record.summary.id]);
      const pending = deleteThrough(second.baseUrl, record.summary.id).catch(() => null);
      await waitFor(async () => {
        const waiting = await api.adminQuery(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'phr-api' AND wait_event_type = 'Lock'`,
        );
        return waiting.length > 0;
      }, 'the deletion waiting for the chain head');
      await second.kill();
      await pending;
      await operator.query('ROLLBACK');
    } finally {
      await operator.end();
      await second.kill();
    }
    await expectWhole(record);
    expect(await queued(record)).toBe(0);
  });

  it('removes the objects later when the API dies after the commit, before the store confirmed their removal', async () => {
    const record = await uploadRecord(patient, 3000);
    const second = await startApiProcess(api, { ...store.env, S3_TIMEOUT_MS: '1500', SWEEP_INTERVAL_SECONDS: '0' });
    try {
      await store.stop();
      try {
        // The rows go; the store cannot be reached to remove the objects, and then the API dies.
        expect((await deleteThrough(second.baseUrl, record.summary.id)).status).toBe(204);
        await second.kill();
      } finally {
        await store.start();
      }
    } finally {
      await second.kill();
    }
    expect(await listed()).not.toContain(record.summary.id);
    expect((await patient.client.send(ROUTES.getRecord, { params: { id: record.summary.id }, token: patient.token })).status).toBe(404);
    expect(await storedObjects(record)).toBe(keysOf(record).length);
    expect(await queued(record)).toBe(keysOf(record).length);

    // The next sweep (of any instance) finishes the job.
    expect(await api.app.get(ObjectDeletions).drain()).toBe(keysOf(record).length);
    expect(await storedObjects(record)).toBe(0);
    expect(await queued(record)).toBe(0);
  });
});

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
