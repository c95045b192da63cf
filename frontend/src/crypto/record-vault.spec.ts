import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES, type RecordLayout, type SegmentUrl } from '@phr/shared-types';
import type { RecordMetadata } from './record-keys.js';
import type { DecryptedRecord, DoctorWraps, OpenedMetadata, SealedRecord } from './record-vault.js';
import { TestKeyLog } from './testing/key-log.js';
import { proveKey } from './testing/proven-keys.js';
import { newVaultState, type VaultState } from './vault-protocol.js';
import { FAST, call, result } from './testing/vault-calls.js';

const OWNER = randomUUID();



const metadata: RecordMetadata = { fileName: 'lab-2026-03.pdf', mimeType: 'application/pdf', title: 'Lab', date: '2026-03-01', category: 'lab-result', notes: '' };

/** Segments served as data: URLs, so decryption reads them through fetch as the worker does. */
async function asUrls(segments: Blob[]): Promise<SegmentUrl[]> {
  return Promise.all(
    segments.map(async (blob, index) => ({ index, byteLength: blob.size, url: `data:application/octet-stream;base64,${Buffer.from(await blob.arrayBuffer()).toString('base64')}` })),
  );
}

describe('the vault’s record methods', () => {
  let state: VaultState;
  let log: TestKeyLog;

  beforeAll(async () => {
    log = await TestKeyLog.create();
  });

  beforeEach(async () => {
    state = newVaultState({ ...FAST, logPublicKey: log.publicKey });
    await result(state, 'createAccount', 'vault passphrase');
  });

  async function encrypt(file: Blob, recordId: string): Promise<{ segments: Blob[]; sealed: SealedRecord }> {
    const layout = await result<RecordLayout>(state, 'beginRecord', recordId, file, RECORD_CHUNK_BYTES);
    const segments: Blob[] = [];
    for (const segment of layout.segments) segments.push(await result<Blob>(state, 'encryptSegment', recordId, segment.index));
    expect(segments.map((blob) => blob.size)).toEqual(layout.segments.map((segment) => segment.byteLength));
    return { segments, sealed: await result<SealedRecord>(state, 'finishRecord', recordId, OWNER, metadata) };
  }

  it('encrypts a file into its segments and decrypts it back to the same bytes, typed with its MIME type', async () => {
    const bytes = randomBytes(3 * RECORD_CHUNK_BYTES + 17);
    const recordId = randomUUID();
    const { segments, sealed } = await encrypt(new Blob([bytes]), recordId);
    expect(state.pendingRecords.size).toBe(0);

    const record = { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap, segments: await asUrls(segments) };
    const opened = await result<DecryptedRecord>(state, 'decryptRecord', record, OWNER);
    expect(opened.metadata).toEqual(metadata);
    expect(opened.file.type).toBe('application/pdf');
    const digest = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
    expect(digest(new Uint8Array(await opened.file.arrayBuffer()))).toBe(digest(bytes));
  });

  it('hashes the plaintext while decrypting when asked (the data export), and only then', async () => {
    const bytes = randomBytes(2 * RECORD_CHUNK_BYTES + 9);
    const recordId = randomUUID();
    const { segments, sealed } = await encrypt(new Blob([bytes]), recordId);
    const record = { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap, segments: await asUrls(segments) };
    const hashed = await result<DecryptedRecord>(state, 'decryptRecord', record, OWNER, { withDigest: true });
    expect(hashed.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect((await result<DecryptedRecord>(state, 'decryptRecord', record, OWNER)).sha256).toBeUndefined();
  });

  it('round-trips a file longer than one 8 MiB read, ending mid-chunk', async () => {
    const bytes = randomBytes(8 * 1024 * 1024 + 3 * RECORD_CHUNK_BYTES + 1);
    const recordId = randomUUID();
    const { segments, sealed } = await encrypt(new Blob([bytes]), recordId);
    const record = { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap, segments: await asUrls(segments) };
    const opened = await result<DecryptedRecord>(state, 'decryptRecord', record, OWNER);
    expect(Buffer.from(await opened.file.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses a record whose ciphertext changed by one bit, naming the integrity failure', async () => {
    const recordId = randomUUID();
    const { segments, sealed } = await encrypt(new Blob([randomBytes(RECORD_CHUNK_BYTES + 5)]), recordId);
    const damaged = new Uint8Array(await segments[0].arrayBuffer());
    damaged[100] ^= 1;
    const record = { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap, segments: await asUrls([new Blob([damaged])]) };
    expect(await call(state, 'decryptRecord', record, OWNER)).toMatchObject({ ok: false, error: { code: 'RECORD_CORRUPT', message: expect.stringContaining('integrity') } });
  });

  it('refuses a record presented under another id (its stream and wrap are bound to the id)', async () => {
    const { segments, sealed } = await encrypt(new Blob([randomBytes(10)]), randomUUID());
    const record = { id: randomUUID(), ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap, segments: await asUrls(segments) };
    expect(await call(state, 'decryptRecord', record, OWNER)).toMatchObject({ ok: false, error: { code: 'WRAP_INVALID' } });
  });

  it('opens listed metadata and reports, without throwing, one it cannot open', async () => {
    const recordId = randomUUID();
    const { sealed } = await encrypt(new Blob(['x']), recordId);
    const opened = await result<OpenedMetadata[]>(state, 'openRecordMetadata', [
      { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap },
      { id: randomUUID(), ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.ownerWrap },
    ], OWNER);
    expect(opened[0]).toEqual({ id: recordId, metadata });
    expect(opened[1]).toMatchObject({ error: expect.any(String) });
  });

  it('forgets a cancelled upload’s key, and locking forgets every pending one', async () => {
    const cancelled = randomUUID();
    await result(state, 'beginRecord', cancelled, new Blob(['a']), RECORD_CHUNK_BYTES);
    await result(state, 'cancelRecord', cancelled);
    expect(await call(state, 'encryptSegment', cancelled, 0)).toMatchObject({ ok: false, error: { code: 'NO_PENDING_RECORD' } });

    const open = randomUUID();
    await result(state, 'beginRecord', open, new Blob(['b']), RECORD_CHUNK_BYTES);
    const rawKey = state.pendingRecords.get(open)?.rawKey as Uint8Array;
    await result(state, 'lock');
    expect(state.pendingRecords.size).toBe(0);
    expect(rawKey.every((byte) => byte === 0)).toBe(true);
    expect(await call(state, 'beginRecord', randomUUID(), new Blob(['c']), RECORD_CHUNK_BYTES)).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
  });

  it('wraps a file key for a doctor, who opens the record with their own key; a wrap moved to another doctor or record fails', async () => {
    const doctorState = newVaultState(FAST);
    const doctor = await result<{ keys: { publicKey: string }; fingerprint: string }>(doctorState, 'createAccount', 'doctor passphrase');
    const doctorId = randomUUID();
    const bytes = randomBytes(RECORD_CHUNK_BYTES + 9);
    const recordId = randomUUID();
    const { segments, sealed } = await encrypt(new Blob([bytes]), recordId);

    await proveKey(state, log, doctorId, doctor.keys.publicKey);
    const shared = await result<DoctorWraps>(state, 'wrapForDoctor', OWNER, [{ id: recordId, wrap: sealed.ownerWrap }], { id: doctorId, publicKey: doctor.keys.publicKey });
    expect(shared.fingerprint).toBe(doctor.fingerprint);
    const record = { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: shared.wraps[0].wrap, segments: await asUrls(segments) };
    const opened = await result<DecryptedRecord>(doctorState, 'decryptRecord', record, doctorId);
    expect(Buffer.from(await opened.file.arrayBuffer()).equals(bytes)).toBe(true);

    expect(await call(doctorState, 'decryptRecord', record, randomUUID())).toMatchObject({ ok: false, error: { code: 'WRAP_INVALID' } });
    expect(await call(doctorState, 'decryptRecord', { ...record, id: randomUUID() }, doctorId)).toMatchObject({ ok: false, error: { code: 'WRAP_INVALID' } });
    expect(await call(state, 'decryptRecord', record, randomUUID())).toMatchObject({ ok: false, error: { code: 'WRAP_INVALID' } });
  });

  it('adds doctor wraps at commit for the doctors it is given', async () => {
    const doctorState = newVaultState(FAST);
    const doctor = await result<{ keys: { publicKey: string } }>(doctorState, 'createAccount', 'doctor passphrase');
    const doctorId = randomUUID();
    const recordId = randomUUID();
    const file = new Blob([randomBytes(100)]);
    const layout = await result<RecordLayout>(state, 'beginRecord', recordId, file, RECORD_CHUNK_BYTES);
    const segment = await result<Blob>(state, 'encryptSegment', recordId, layout.segments[0].index);
    await proveKey(state, log, doctorId, doctor.keys.publicKey);
    const sealed = await result<SealedRecord>(state, 'finishRecord', recordId, OWNER, metadata, [{ id: doctorId, publicKey: doctor.keys.publicKey }]);
    expect(sealed.doctorWraps.map((wrap) => wrap.doctorId)).toEqual([doctorId]);
    const record = { id: recordId, ownerId: OWNER, metadata: sealed.metadata, wrap: sealed.doctorWraps[0].wrap, segments: await asUrls([segment]) };
    expect((await result<DecryptedRecord>(doctorState, 'decryptRecord', record, doctorId)).metadata).toEqual(metadata);
  });

  it('seals folder names for their owner only', async () => {
    const sealed = await result<string>(state, 'sealFolderName', OWNER, 'Cardiology 2026');
    expect(sealed).not.toContain('Cardiology');
    const folder = { id: randomUUID(), name: sealed, createdAt: new Date().toISOString() };
    expect(await result(state, 'openFolderNames', OWNER, [folder])).toEqual([{ id: folder.id, name: 'Cardiology 2026' }]);
    expect(await result(state, 'openFolderNames', randomUUID(), [folder])).toEqual([{ id: folder.id, name: '(name cannot be opened)' }]);
  });
});
