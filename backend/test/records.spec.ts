import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Minio from 'minio';
import { ERROR_CODES, RECORD_CHUNK_BYTES, RECORD_CHUNKS_PER_SEGMENT, ROUTES, recordLayout, type ListRecordsQuery, type RecordPage } from '@phr/shared-types';
import { UploadSweeper } from '../src/jobs/upload-sweeper.js';
import { OrphanReconciler } from '../src/jobs/orphan-reconciler.js';
import { StorageService } from '../src/storage/storage.service.js';
import { segmentObjectKey } from '../src/records/object-keys.js';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { commit, commitRequest, presign, putObject, putSegment, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { roundTripsOf, transactionMessages } from './support/sql-statements.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import type { RouteResult } from './support/http.js';

describe('records: upload, list, read, delete (DESIGN 5)', () => {
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

  function getRecord(user: RegisteredUser, recordId: string) {
    return user.client.send(ROUTES.getRecord, { params: { id: recordId }, token: user.token });
  }
  function deleteRecord(user: RegisteredUser, recordId: string) {
    return user.client.send(ROUTES.deleteRecord, { params: { id: recordId }, token: user.token });
  }
  function listRecords(user: RegisteredUser, query: ListRecordsQuery = {}) {
    return user.client.send(ROUTES.listRecords, { token: user.token, query });
  }
  function storedSize(recordId: string, segment = 0) {
    return api.app.get(StorageService).sizeOf(segmentObjectKey(recordId, segment));
  }
  async function recordRows(recordId: string) {
    return api.adminQuery('SELECT id FROM records WHERE id = $1', [recordId]);
  }
  /** The store as its operator (or an attacker with its keys) reaches it, past the API. */
  function storeClient(): Minio.Client {
    const endpoint = new URL(api.store.endpoint);
    return new Minio.Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: api.config.s3.accessKey, secretKey: api.config.s3.secretKey, region: api.config.s3.region, pathStyle: true });
  }

  describe('the whole round', () => {
    it('looks up the covering doctors, trusted contacts and emergency key of an upload in one round trip', async () => {
      const lookups = [/covering_doctors\(/, /covering_contacts\(/, /FROM emergency_setups/];
      const events = await transactionMessages(
        () => presign(alice, 1000),
        (text) => {
          const lookup = lookups.findIndex((pattern) => pattern.test(text));
          return lookup === -1 ? null : `lookup ${lookup}`;
        },
      );
      expect(events).not.toContain('error');
      const first = events.indexOf('lookup 0');
      expect(events.slice(first, first + 3).sort()).toEqual(['lookup 0', 'lookup 1', 'lookup 2']);
      // Start with the upload's row, the three lookups, the audit row with the COMMIT.
      expect(roundTripsOf(events)).toBe(3);
    });

    it('presigns, stores, commits, lists, reads the same bytes back and deletes, leaving the audit rows', async () => {
      const upload = await presign(alice, 5000);
      expect(upload.chunkBytes).toBe(RECORD_CHUNK_BYTES);
      expect(upload.segments).toEqual([{ index: 0, byteLength: recordLayout(5000).segments[0].byteLength, url: expect.any(String), headers: { 'If-None-Match': '*' } }]);
      expect(new URL(upload.segments[0].url).searchParams.get('X-Amz-Expires')).toBe('900');
      expect(upload.segments[0].url).not.toContain(alice.userId);

      const bodies = segmentBodies(5000);
      await putSegments(upload, bodies);
      const request = commitRequest(upload.recordId);
      const committed = await commit(alice, request);
      expect(committed.status).toBe(201);
      expect(committed.body).toMatchObject({ id: upload.recordId, ownerId: alice.userId, folderId: null, size: 5000, metadata: request.metadata, wrap: request.ownerWrap });

      const listed = await listRecords(alice);
      expect(listed.body.items.map((item) => item.id)).toContain(upload.recordId);

      const read = await getRecord(alice, upload.recordId);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: upload.recordId, wrap: request.ownerWrap, metadata: request.metadata, size: 5000 });
      expect(new URL(read.body.segments[0].url).searchParams.get('X-Amz-Expires')).toBe('60');
      const downloaded = await fetch(read.body.segments[0].url);
      expect(downloaded.status).toBe(200);
      expect(Buffer.from(await downloaded.arrayBuffer()).equals(bodies[0])).toBe(true);

      expect((await deleteRecord(alice, upload.recordId)).status).toBe(204);
      expect(await storedSize(upload.recordId)).toBeNull();
      expect(await recordRows(upload.recordId)).toHaveLength(0);
      expect(await api.adminQuery('SELECT * FROM record_wraps WHERE record_id = $1', [upload.recordId])).toHaveLength(0);
      expect((await getRecord(alice, upload.recordId)).status).toBe(404);
      expect((await fetch(read.body.segments[0].url)).status).toBe(404);

      const rows = (await auditRowsOf(api, alice.userId)).filter((row) => row.record_id === upload.recordId);
      expect(rows.map((row) => `${row.action}:${row.outcome}`)).toEqual([
        'record.upload:allow',
        'record.create:allow',
        'record.read:allow',
        'record.delete:allow',
        'record.read:deny',
      ]);
    });

    it('stores a record over 64 MiB as two segment objects, each checked at commit', async () => {
      const size = RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT + 1;
      const upload = await presign(alice, size);
      expect(upload.segments.map((segment) => segment.byteLength)).toEqual(recordLayout(size).segments.map((segment) => segment.byteLength));
      expect(upload.segments).toHaveLength(2);
      const bodies = segmentBodies(size);
      await putSegment(upload.segments[0], bodies[0]);
      const halfDone = await commit(alice, commitRequest(upload.recordId));
      expect(halfDone.status).toBe(409);
      expect(halfDone.body).toMatchObject({ code: ERROR_CODES.uploadIncomplete, message: expect.stringContaining('Segment 1') });
      await putSegment(upload.segments[1], bodies[1]);
      expect((await commit(alice, commitRequest(upload.recordId))).status).toBe(201);

      const read = await getRecord(alice, upload.recordId);
      expect(read.body.segments).toHaveLength(2);
      const second = Buffer.from(await (await fetch(read.body.segments[1].url)).arrayBuffer());
      expect(second.equals(bodies[1])).toBe(true);
    });

    it('records an empty file as one sealed chunk', async () => {
      const { summary } = await uploadRecord(alice, 0);
      expect(summary.size).toBe(0);
      expect(await storedSize(summary.id)).toBe(recordLayout(0).ciphertextBytes);
    });
  });

  describe('uploads that do not add up are refused and nothing is committed', () => {
    it('refuses a commit before the object is stored', async () => {
      const upload = await presign(alice, 100);
      const response = await commit(alice, commitRequest(upload.recordId));
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: ERROR_CODES.uploadIncomplete, message: 'Segment 0 of the upload is missing' });
      expect(await recordRows(upload.recordId)).toHaveLength(0);
    });

    it('refuses a PUT of any other size than the segment’s (its Content-Length is signed), and the right one is stored', async () => {
      const upload = await presign(alice, 100);
      const [body] = segmentBodies(100);
      for (const wrong of [body.subarray(1), Buffer.concat([body, Buffer.from([0])])]) {
        expect((await putSegment(upload.segments[0], wrong)).status).toBe(403);
      }
      expect(await storedSize(upload.recordId)).toBeNull();
      expect((await putSegment(upload.segments[0], body)).status).toBe(200);
      expect((await commit(alice, commitRequest(upload.recordId))).status).toBe(201);
    });

    it('refuses a commit when the stored object has another size (written with the store’s own keys)', async () => {
      const upload = await presign(alice, 100);
      const [body] = segmentBodies(100);
      await storeClient().putObject(api.config.s3.bucket, segmentObjectKey(upload.recordId, 0), body.subarray(1));
      const short = await commit(alice, commitRequest(upload.recordId));
      expect(short.status).toBe(409);
      expect(short.body).toMatchObject({ code: ERROR_CODES.uploadIncomplete, message: `Segment 0 of the upload holds ${body.length - 1} bytes, not ${body.length}` });
      expect(await recordRows(upload.recordId)).toHaveLength(0);
    });

    it('never lets an upload URL replace a stored segment, before or after the commit (If-None-Match is signed)', async () => {
      const upload = await presign(alice, 100);
      const [body] = segmentBodies(100);
      const [other] = segmentBodies(100);
      expect((await putSegment(upload.segments[0], body)).status).toBe(200);
      expect((await putSegment(upload.segments[0], other)).status).toBe(412);
      // Leaving the header out breaks the signature.
      expect((await putObject(upload.segments[0].url, other)).status).toBe(403);
      expect((await commit(alice, commitRequest(upload.recordId))).status).toBe(201);
      expect((await putSegment(upload.segments[0], other)).status).toBe(412);
      const read = await getRecord(alice, upload.recordId);
      const stored = Buffer.from(await (await fetch(read.body.segments[0].url)).arrayBuffer());
      expect(stored.equals(body)).toBe(true);
    });

    it('answers a second commit of the same upload with 409 and keeps the first', async () => {
      const { summary } = await uploadRecord(alice);
      const again = await commit(alice, commitRequest(summary.id));
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: ERROR_CODES.alreadyCommitted });
      expect((await getRecord(alice, summary.id)).body.metadata).toBe(summary.metadata);
    });

    it('refuses a file over the configured maximum before any upload, saying what the limit is', async () => {
      const before = await api.adminQuery('SELECT count(*)::int AS n FROM uploads');
      const response = await alice.client.send(ROUTES.presignUpload, { token: alice.token, body: { size: api.config.records.maxBytes + 1 } });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ code: ERROR_CODES.recordTooLarge, message: 'The file is larger than the limit of 5 GiB' });
      expect(await api.adminQuery('SELECT count(*)::int AS n FROM uploads')).toEqual(before);
    });

    it('refuses a commit into a folder of another patient', async () => {
      const folder = await bob.client.send(ROUTES.createFolder, { token: bob.token, body: { name: sealedBlob(20) } });
      const upload = await presign(alice, 10);
      await putSegments(upload, segmentBodies(10));
      const response = await commit(alice, commitRequest(upload.recordId, folder.body.id));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: ERROR_CODES.validation, fields: [{ field: 'folderId' }] });
      expect(await recordRows(upload.recordId)).toHaveLength(0);
    });

    it.each([
      ['a negative size', { size: -1 }, 'size'],
      ['a fractional size', { size: 1.5 }, 'size'],
      ['a size as text', { size: '10' }, 'size'],
      ['no size', {}, 'size'],
      ['a record id that is no UUID', { size: 1, recordId: 'abc' }, 'recordId'],
      ['an unknown field', { size: 1, objectKey: 'records/x/0' }, 'objectKey'],
    ])('answers a presign with %s with 400 naming the field', async (_case, body, field) => {
      // Bodies the contract forbids, on purpose.
      const response = await alice.client.unchecked().send(ROUTES.presignUpload, { token: alice.token, body });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it.each([
      ['metadata that is not base64url', { metadata: 'not base64!' }, 'metadata'],
      ['a wrap too short to be sealed', { ownerWrap: 'AAAA' }, 'ownerWrap'],
      ['no record id', { recordId: undefined }, 'recordId'],
      ['a folder id that is no UUID', { folderId: '1' }, 'folderId'],
    ])('answers a commit with %s with 400 naming the field', async (_case, override, field) => {
      const upload = await presign(alice, 10);
      await putSegments(upload, segmentBodies(10));
      // Bodies the contract forbids, on purpose.
      const response = await alice.client.unchecked().send(ROUTES.commitRecord, { token: alice.token, body: { ...commitRequest(upload.recordId), ...override } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ fields: expect.arrayContaining([expect.objectContaining({ field })]) });
      expect(await recordRows(upload.recordId)).toHaveLength(0);
    });

    it.each([
      ['GET', 'not-a-uuid'],
      ['DELETE', 'not-a-uuid'],
    ])('answers %s /records/%s with 400', async (method, id) => {
      const response = await alice.client.send(method === 'GET' ? ROUTES.getRecord : ROUTES.deleteRecord, { params: { id }, token: alice.token });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('id');
    });

    it('rejects a PUT whose URL was tampered with (the store checks the signature)', async () => {
      const upload = await presign(alice, 10);
      const url = new URL(upload.segments[0].url);
      url.pathname = url.pathname.replace(upload.recordId, randomUUID());
      const response = await putObject(url.toString(), segmentBodies(10)[0], upload.segments[0].headers);
      expect(response.status).toBe(403);
    });
  });

  describe('isolation between patients (DESIGN 6)', () => {
    it('gives Bob the same 404 for Alice’s record as for none, on every route, and audits each attempt in Alice’s trail', async () => {
      const { summary } = await uploadRecord(alice);
      const missing = randomUUID();
      for (const id of [summary.id, missing]) {
        const read = await getRecord(bob, id);
        const removed = await deleteRecord(bob, id);
        for (const response of [read, removed]) {
          expect(response.status).toBe(404);
          expect(response.body).toMatchObject({ code: ERROR_CODES.notFound, message: 'No such record' });
        }
      }
      const denied = (await auditRowsOf(api, alice.userId)).filter((row) => row.record_id === summary.id && row.outcome === 'deny');
      expect(denied.map((row) => [row.action, row.actor_id, row.reason])).toEqual([
        ['record.read', bob.userId, 'not the owner'],
        ['record.delete', bob.userId, 'not the owner'],
      ]);
      const bobsOwn = (await auditRowsOf(api, bob.userId)).filter((row) => row.record_id === missing);
      expect(bobsOwn.map((row) => `${row.action}:${row.outcome}:${row.reason}`)).toEqual(['record.read:deny:no such record', 'record.delete:deny:no such record']);
      expect((await getRecord(alice, summary.id)).status).toBe(200);
    });

    it('does not let Bob renew or commit Alice’s pending upload', async () => {
      const upload = await presign(alice, 10);
      await putSegments(upload, segmentBodies(10));
      const renewed = await bob.client.send(ROUTES.presignUpload, { token: bob.token, body: { size: 10, recordId: upload.recordId } });
      expect(renewed.status).toBe(404);
      const committed = await commit(bob, commitRequest(upload.recordId));
      expect(committed.status).toBe(404);
      expect(await recordRows(upload.recordId)).toHaveLength(0);
      const denied = (await auditTrailOf(api, alice.userId)).filter((entry) => entry.endsWith(':deny'));
      expect(denied).toEqual(expect.arrayContaining(['record.upload:deny', 'record.create:deny']));
      expect((await commit(alice, commitRequest(upload.recordId))).status).toBe(201);
    });

    it('lists to each patient only their own records', async () => {
      const { summary } = await uploadRecord(bob);
      const bobs = await listRecords(bob);
      const alices = await listRecords(alice);
      expect(bobs.body.items.every((item) => item.ownerId === bob.userId)).toBe(true);
      expect(bobs.body.items.map((item) => item.id)).toContain(summary.id);
      expect(alices.body.items.map((item) => item.id)).not.toContain(summary.id);
    });
  });

  describe('listing', () => {
    it('pages newest first with a cursor and filters by folder', async () => {
      const carol = await registerUser(api);
      const folder = await carol.client.send(ROUTES.createFolder, { token: carol.token, body: { name: sealedBlob(20) } });
      const summaries = [];
      for (let i = 0; i < 5; i++) summaries.push((await uploadRecord(carol, 10, i % 2 === 0 ? folder.body.id : undefined)).summary);
      // Newest first; records made in the same millisecond in id order, descending.
      const newestFirst = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
        b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
      const ids = [...summaries].sort(newestFirst).map((summary) => summary.id);
      const inFolderIds = summaries.filter((summary) => summary.folderId === folder.body.id).sort(newestFirst).map((summary) => summary.id);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: RouteResult<RecordPage> = await listRecords(carol, { limit: 2, cursor: cursor ?? undefined });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(ids);

      const inFolder = await listRecords(carol, { folderId: folder.body.id });
      expect(inFolderIds).toHaveLength(3);
      expect(inFolder.body.items.map((item) => item.id)).toEqual(inFolderIds);
    });

    it('pages records written with microseconds (a restore, now() in SQL) with no gap or repeat: the times are stored to the millisecond the cursor carries', async () => {
      const dana = await registerUser(api);
      // Four records in one millisecond, microseconds apart, as an operator's script would write them.
      const rows = await api.adminQuery<{ id: string }>(
        `WITH made AS (
           INSERT INTO records (id, owner_id, size, chunk_bytes, metadata, created_at)
           SELECT gen_random_uuid(), $1, 1000, 262144, $2, timestamptz '2026-06-01 12:00:00.123Z' + make_interval(secs => n / 1e6) FROM generate_series(100, 400, 100) AS n
           RETURNING id)
         INSERT INTO record_wraps (record_id, recipient_id, owner_id, wrap, key_generation) SELECT id, $1, $1, $3, 1 FROM made RETURNING record_id AS id`,
        [dana.userId, sealedBlob(64), sealedBlob()],
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page: RouteResult<RecordPage> = await listRecords(dana, { limit: 1, cursor });
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(rows.map((row) => row.id).sort().reverse());
    });

    it('looks records up by id: the caller’s own among those asked, newest first, an id in capitals the same, another patient’s and an unknown one left out', async () => {
      const erin = await registerUser(api);
      const frank = await registerUser(api);
      const own = [];
      for (let i = 0; i < 3; i++) own.push((await uploadRecord(erin)).summary);
      const { summary: franks } = await uploadRecord(frank);
      const [first, second, third] = own;
      const page = await listRecords(erin, { ids: [first.id, third.id.toUpperCase(), franks.id, randomUUID()].join(',') });
      expect(page.status).toBe(200);
      expect(page.body.items.map((item) => item.id)).toEqual([third.id, first.id]);
      expect(page.body.items.every((item) => item.ownerId === erin.userId && item.wrap.length > 0)).toBe(true);
      expect(page.body.nextCursor).toBeNull();
      expect(page.body.items.map((item) => item.id)).not.toContain(second.id);
      // A look-up is a listing in the owner's trail; nothing of it reaches Frank's, and Frank's own look-up finds his record.
      expect((await auditTrailOf(api, erin.userId)).at(-1)).toBe('record.list:allow');
      expect(await auditTrailOf(api, frank.userId)).not.toContain('record.list:allow');
      expect((await listRecords(frank, { ids: franks.id })).body.items.map((item) => item.id)).toEqual([franks.id]);
    });

    it.each([
      ['ids=x', 'ids'],
      ['ids=', 'ids'],
      [`ids=${randomUUID()},,${randomUUID()}`, 'ids'],
      [`ids=${Array.from({ length: 101 }, () => randomUUID()).join(',')}`, 'ids'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['folderId=x', 'folderId'],
      ['cursor=%%%', 'cursor'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ])('answers ?%s with 400 naming the field', async (query, field) => {
      // Query values the contract forbids, sent as written.
      const response = await alice.client.unchecked().send(ROUTES.listRecords, { token: alice.token, query: Object.fromEntries(new URLSearchParams(query)) });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });
  });

  describe('abandoned uploads', () => {
    it('sweeps an upload never committed once its URLs expired and the grace period passed (objects and row), and nothing else', async () => {
      const abandoned = await presign(alice, RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT + 5);
      await putSegments(abandoned, segmentBodies(RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT + 5));
      const { summary: kept } = await uploadRecord(alice, 10);
      const live = await presign(alice, 10);
      // Expired beyond the grace period (an hour here), and expired but still within it.
      await api.adminQuery(`UPDATE uploads SET expires_at = now() - interval '61 minutes' WHERE record_id = $1`, [abandoned.recordId]);
      await api.adminQuery(`UPDATE uploads SET expires_at = now() - interval '59 minutes' WHERE record_id = $1`, [live.recordId]);
      const storage = api.app.get(StorageService);
      expect(await storage.sizeOf(segmentObjectKey(abandoned.recordId, 1))).not.toBeNull();

      const swept = await api.app.get(UploadSweeper).sweep();

      expect(swept).toEqual([abandoned.recordId]);
      expect(await storage.sizeOf(segmentObjectKey(abandoned.recordId, 0))).toBeNull();
      expect(await storage.sizeOf(segmentObjectKey(abandoned.recordId, 1))).toBeNull();
      expect(await api.adminQuery('SELECT record_id FROM uploads WHERE record_id = $1', [abandoned.recordId])).toHaveLength(0);
      expect(await api.adminQuery('SELECT record_id FROM uploads WHERE record_id = $1', [live.recordId])).toHaveLength(1);
      expect(await storage.sizeOf(segmentObjectKey(kept.id, 0))).not.toBeNull();
      const expired = (await auditRowsOf(api, alice.userId)).filter((row) => row.record_id === abandoned.recordId);
      expect(expired.map((row) => `${row.action}:${row.outcome}`)).toEqual(['record.upload:allow', 'record.upload-expired:allow']);
      expect([expired[1].actor_id, expired[1].actor_role, expired[1].request_id]).toEqual([null, 'system', 'job:upload-sweep']);

      const late = await commit(alice, commitRequest(abandoned.recordId));
      expect(late.status).toBe(404);
      expect(await api.app.get(UploadSweeper).sweep()).toEqual([]);
    });
  });

  describe('objects no row owns', () => {
    it('removes an object an old upload URL wrote after its record was deleted, and keeps every owned one', async () => {
      const upload = await presign(alice, 100);
      const [body] = segmentBodies(100);
      expect((await putSegment(upload.segments[0], body)).status).toBe(200);
      expect((await commit(alice, commitRequest(upload.recordId))).status).toBe(201);
      expect((await deleteRecord(alice, upload.recordId)).status).toBe(204);
      expect(await storedSize(upload.recordId)).toBeNull();
      // The URL is still within its lifetime: it writes the object again, and no row owns it.
      expect((await putSegment(upload.segments[0], body)).status).toBe(200);
      expect(await storedSize(upload.recordId)).not.toBeNull();

      const kept = await uploadRecord(alice, 100);
      const inProgress = await presign(alice, 100);
      await putSegments(inProgress, segmentBodies(100));
      await storeClient().putObject(api.config.s3.bucket, 'records/not-ours.txt', Buffer.from('left alone'));
      const reconciler = api.app.get(OrphanReconciler);

      // Younger than the longest upload URL: nothing is taken for an orphan yet.
      expect((await reconciler.reconcile()).removed).toEqual([]);
      const later = new Date(Date.now() + (api.config.records.uploadUrlSeconds + 60) * 1000);
      expect((await reconciler.reconcile(later)).removed).toEqual([segmentObjectKey(upload.recordId, 0)]);
      expect(await storedSize(upload.recordId)).toBeNull();
      expect(await storedSize(kept.summary.id)).not.toBeNull();
      expect(await storedSize(inProgress.recordId)).not.toBeNull();
      expect(await storeClient().statObject(api.config.s3.bucket, 'records/not-ours.txt')).toMatchObject({ size: 10 });
    });
  });

  describe('expired upload URLs', () => {
    let quick: TestApp;
    let dana: RegisteredUser;

    beforeAll(async () => {
      quick = await startTestApp({ UPLOAD_URL_SECONDS: '2', UPLOAD_GRACE_SECONDS: '0', SWEEP_INTERVAL_SECONDS: '0' });
      dana = await registerUser(quick);
    });
    afterAll(async () => {
      await quick?.close();
    });

    it('refuses a PUT after its URL expired, and a renewed presign for the same record lets the upload finish', async () => {
      const upload = await presign(dana, 10);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const [body] = segmentBodies(10);
      const late = await putSegment(upload.segments[0], body);
      expect(late.status).toBe(403);
      // S3's code for it; the reason text is each store's own (the embedded one's: infra/test/object-store.spec.ts).
      expect(await late.text()).toContain('<Code>AccessDenied</Code>');

      const renewed = await presign(dana, 10, upload.recordId);
      expect(renewed.recordId).toBe(upload.recordId);
      expect((await putSegment(renewed.segments[0], body)).status).toBe(200);
      expect((await commit(dana, commitRequest(upload.recordId))).status).toBe(201);
    });

    it('refuses to renew with another size (the layout would not match)', async () => {
      const upload = await presign(dana, 10);
      const response = await dana.client.send(ROUTES.presignUpload, { token: dana.token, body: { size: 11, recordId: upload.recordId } });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'size', message: 'size must stay 10, the size this upload was started with' }]);
    });
  });
});
