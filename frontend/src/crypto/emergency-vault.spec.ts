import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES, type EmergencyAccess, type EmergencyBreak, type EmergencyShareRequest, type RecordLayout, type SegmentUrl } from '@phr/shared-types';
import type { EmergencyKeyMaterial } from './emergency-vault.js';
import type { RecordMetadata } from './record-keys.js';
import type { DecryptedRecord, OpenedMetadata, SealedRecord } from './record-vault.js';
import { TestKeyLog } from './testing/key-log.js';
import { proveKey } from './testing/proven-keys.js';
import { newVaultState, type VaultState } from './vault-protocol.js';
import { FAST, call, result } from './testing/vault-calls.js';




interface Person {
  id: string;
  state: VaultState;
  publicKey: string;
}

const metadata: RecordMetadata = { fileName: 'allergies.pdf', mimeType: 'application/pdf', title: 'Allergies', date: '2026-03-01', category: 'other', notes: '' };

describe('the vault’s break-glass methods (docs/protocol.md "Break-glass")', () => {
  let log: TestKeyLog;
  let patient: Person;
  let holder: Person;
  let clinician: Person;
  const recordId = randomUUID();
  const bytes = randomBytes(RECORD_CHUNK_BYTES + 11);
  let sealed: SealedRecord;
  let segments: SegmentUrl[];

  async function person(role: 'patient' | 'doctor'): Promise<Person> {
    const state = newVaultState({ ...FAST, logPublicKey: log.publicKey });
    const created = await result<{ keys: { publicKey: string } }>(state, 'createAccount', `${role} passphrase`);
    const id = randomUUID();
    return { id, state, publicKey: created.keys.publicKey };
  }

  beforeAll(async () => {
    log = await TestKeyLog.create();
    [patient, holder, clinician] = await Promise.all([person('patient'), person('patient'), person('doctor')]);
    const layout = await result<RecordLayout>(patient.state, 'beginRecord', recordId, new Blob([bytes]), RECORD_CHUNK_BYTES);
    const blobs: Blob[] = [];
    for (const segment of layout.segments) blobs.push(await result<Blob>(patient.state, 'encryptSegment', recordId, segment.index));
    sealed = await result<SealedRecord>(patient.state, 'finishRecord', recordId, patient.id, metadata);
    segments = await Promise.all(
      blobs.map(async (blob, index) => ({ index, byteLength: blob.size, url: `data:application/octet-stream;base64,${Buffer.from(await blob.arrayBuffer()).toString('base64')}` })),
    );
  });

  it('sets up only for holders proven in the key directory; a holder releases only to a proven clinician key; the clinician opens the record with the emergency key', async () => {
    const holderKey = { id: holder.id, publicKey: holder.publicKey };
    const records = [{ id: recordId, wrap: sealed.ownerWrap }];
    expect(await call(patient.state, 'createEmergencySetup', patient.id, [holderKey], 1, records)).toMatchObject({ ok: false, error: { code: 'KEY_NOT_VERIFIED' } });
    await proveKey(patient.state, log, holder.id, holder.publicKey, 'patient');
    const material = await result<EmergencyKeyMaterial>(patient.state, 'createEmergencySetup', patient.id, [holderKey], 1, records);
    expect(material.holders.map((share) => share.holderId)).toEqual([holder.id]);
    expect(material.wraps.map((wrap) => wrap.recordId)).toEqual([recordId]);

    const breakGlass = { id: randomUUID(), patientId: patient.id, clinicianId: clinician.id, clinicianName: 'Dr. Test', state: 'waiting' } as EmergencyBreak;
    const request = { breakGlass, clinicianPublicKey: clinician.publicKey, clinicianFingerprint: '', share: material.holders[0] } satisfies EmergencyShareRequest;
    expect(await call(holder.state, 'releaseEmergencyShare', request)).toMatchObject({ ok: false, error: { code: 'KEY_NOT_VERIFIED' } });
    await proveKey(holder.state, log, clinician.id, clinician.publicKey, 'doctor');
    const released = await result<{ fingerprint: string; share: string }>(holder.state, 'releaseEmergencyShare', request);

    const access: EmergencyAccess = {
      breakGlass: { ...breakGlass, state: 'open' },
      shares: [{ holderId: holder.id, share: released.share }],
      publicKey: material.publicKey,
      sealedPrivateKey: material.sealedPrivateKey,
      records: [{ recordId, wrap: material.wraps[0].wrap, metadata: sealed.metadata, size: bytes.length, createdAt: new Date().toISOString() }],
    };
    // Another clinician cannot open the shares released for this one.
    expect(await call(holder.state, 'openEmergencyAccess', clinician.id, access)).toMatchObject({ ok: false, error: { code: 'DECRYPT_FAILED' } });
    const opened = await result<OpenedMetadata[]>(clinician.state, 'openEmergencyAccess', clinician.id, access);
    expect(opened).toEqual([{ id: recordId, metadata }]);
    const record = { id: recordId, ownerId: patient.id, metadata: sealed.metadata, wrap: material.wraps[0].wrap, segments };
    const decrypted = await result<DecryptedRecord>(clinician.state, 'decryptEmergencyRecord', breakGlass.id, record);
    expect(Buffer.from(await decrypted.file.arrayBuffer()).equals(bytes)).toBe(true);
    // A wrap moved to another record does not open; a closed break's key is gone.
    expect(await call(clinician.state, 'decryptEmergencyRecord', breakGlass.id, { ...record, id: randomUUID() })).toMatchObject({ ok: false, error: { code: 'WRAP_INVALID' } });
    await result(clinician.state, 'closeEmergencyAccess', breakGlass.id);
    expect(await call(clinician.state, 'decryptEmergencyRecord', breakGlass.id, record)).toMatchObject({ ok: false, error: { code: 'EMERGENCY_KEY_CLOSED' } });
    await result(clinician.state, 'openEmergencyAccess', clinician.id, access);
    await result(clinician.state, 'lock');
    expect(clinician.state.emergencyKeys.size).toBe(0);
  });
});
