import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES, type MyKeys } from '@phr/shared-types';
import type { OpenedMetadata, SealedRecord } from './record-vault.js';
import type { RecordMetadata } from './record-keys.js';
import { TestKeyLog } from './testing/key-log.js';
import { bindingFor, proveKey } from './testing/proven-keys.js';
import type { OwnBindingCheck } from './trust-vault.js';
import { newVaultState, type CreatedAccount, type KeyPairRotation, type VaultState } from './vault-protocol.js';
import { FAST, call, result } from './testing/vault-calls.js';




const refusal = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });
const metadata: RecordMetadata = { fileName: 'scan.pdf', mimeType: 'application/pdf', title: 'Scan', date: '2026-03-01', category: 'imaging', notes: '' };

/** A signed-in account: its vault and what the server stores for it. */
interface Account {
  id: string;
  vault: VaultState;
  created: CreatedAccount;
}

async function account(log: TestKeyLog, role: 'patient' | 'doctor', password: string): Promise<Account> {
  const vault = newVaultState({ ...FAST, logPublicKey: log.publicKey });
  const created = await result<CreatedAccount>(vault, 'createAccount', password);
  const id = randomUUID();
  log.append(await bindingFor(id, role, created.keys.publicKey));
  return { id, vault, created };
}

describe('key-pair rotation in the vault (docs/protocol.md "Key-pair rotation")', () => {
  let log: TestKeyLog;
  let doctor: Account;

  beforeEach(async () => {
    log = await TestKeyLog.create();
    doctor = await account(log, 'doctor', 'doctor passphrase');
  });

  it('makes a new pair sealed under the account key and answers only public values; the session keeps the old pair until the server confirms', async () => {
    const rotation = await result<KeyPairRotation>(doctor.vault, 'prepareKeyPairRotation', 'doctor passphrase');
    expect(Object.keys(rotation).sort()).toEqual(['currentAuthKey', 'fingerprint', 'publicKey', 'wrappedPrivateKey']);
    expect(rotation.currentAuthKey).toBe(doctor.created.authKey);
    expect(rotation.publicKey).not.toBe(doctor.created.keys.publicKey);
    expect(await result(doctor.vault, 'ownFingerprint')).toBe(doctor.created.fingerprint);
    await result(doctor.vault, 'confirmKeyPairRotation', rotation.publicKey);
    expect(await result(doctor.vault, 'ownFingerprint')).toBe(rotation.fingerprint);
  });

  it('refuses a confirmation naming another key, or none prepared, and keeps the old pair', async () => {
    const rotation = await result<KeyPairRotation>(doctor.vault, 'prepareKeyPairRotation', 'doctor passphrase');
    expect(await call(doctor.vault, 'confirmKeyPairRotation', doctor.created.keys.publicKey)).toMatchObject(refusal('KEY_ROTATION_MISMATCH'));
    expect(await call(doctor.vault, 'confirmKeyPairRotation', rotation.publicKey)).toMatchObject(refusal('KEY_ROTATION_MISMATCH'));
    expect(await result(doctor.vault, 'ownFingerprint')).toBe(doctor.created.fingerprint);
  });

  it('drops a prepared pair on lock', async () => {
    const rotation = await result<KeyPairRotation>(doctor.vault, 'prepareKeyPairRotation', 'doctor passphrase');
    await result(doctor.vault, 'lock');
    expect(doctor.vault.pendingKeyPair).toBeNull();
    expect(await call(doctor.vault, 'confirmKeyPairRotation', rotation.publicKey)).toMatchObject(refusal('LOCKED'));
  });

  it('signs in afterwards with the new pair (the own-key round trip holds), and refuses the old public key served with the new private key', async () => {
    const rotation = await result<KeyPairRotation>(doctor.vault, 'prepareKeyPairRotation', 'doctor passphrase');
    const stored: MyKeys = { kdf: doctor.created.kdf, wrappedAccountKey: doctor.created.keys.wrappedAccountKey, publicKey: rotation.publicKey, wrappedPrivateKey: rotation.wrappedPrivateKey, fingerprint: rotation.fingerprint, keyGeneration: 1 };
    const fresh = newVaultState(FAST);
    await result(fresh, 'deriveLogin', 'doctor passphrase', stored.kdf);
    await result(fresh, 'unlock', stored);
    expect(await result(fresh, 'ownFingerprint')).toBe(rotation.fingerprint);
    const lying = newVaultState(FAST);
    await result(lying, 'deriveLogin', 'doctor passphrase', stored.kdf);
    expect(await call(lying, 'unlock', { ...stored, publicKey: doctor.created.keys.publicKey })).toMatchObject(refusal('OWN_KEY_MISMATCH'));
  });

  it('sees its new key as its own latest binding once confirmed, and not before (self-monitoring accepts its own rotation)', async () => {
    const rotation = await result<KeyPairRotation>(doctor.vault, 'prepareKeyPairRotation', 'doctor passphrase');
    log.append(await bindingFor(doctor.id, 'doctor', rotation.publicKey));
    await result(doctor.vault, 'acceptTreeHead', await log.head(), null);
    expect(await result<OwnBindingCheck>(doctor.vault, 'checkOwnBinding', await log.bindingProof(doctor.id), doctor.id)).toMatchObject({ isOwnKey: false });
    await result(doctor.vault, 'confirmKeyPairRotation', rotation.publicKey);
    expect(await result<OwnBindingCheck>(doctor.vault, 'checkOwnBinding', await log.bindingProof(doctor.id), doctor.id)).toMatchObject({
      isOwnKey: true,
      shownFingerprint: rotation.fingerprint,
      leafIndex: 1,
    });
  });

  describe('the patient’s re-wrap for the doctor’s new key', () => {
    let patient: Account;
    let record: { id: string; ownerId: string; metadata: string; ownerWrap: string };
    let oldWrap: string;
    let rotation: KeyPairRotation;

    beforeEach(async () => {
      patient = await account(log, 'patient', 'patient passphrase');
      await proveKey(patient.vault, log, doctor.id, doctor.created.keys.publicKey);
      const recordId = randomUUID();
      await result(patient.vault, 'beginRecord', recordId, new Blob(['x-ray']), RECORD_CHUNK_BYTES);
      const sealed = await result<SealedRecord>(patient.vault, 'finishRecord', recordId, patient.id, metadata, [{ id: doctor.id, publicKey: doctor.created.keys.publicKey }]);
      record = { id: recordId, ownerId: patient.id, metadata: sealed.metadata, ownerWrap: sealed.ownerWrap };
      oldWrap = sealed.doctorWraps[0].wrap;
      rotation = await result<KeyPairRotation>(doctor.vault, 'prepareKeyPairRotation', 'doctor passphrase');
      await result(doctor.vault, 'confirmKeyPairRotation', rotation.publicKey);
    });

    const opened = (wrap: string) => result<OpenedMetadata[]>(doctor.vault, 'openRecordMetadata', [{ id: record.id, ownerId: record.ownerId, metadata: record.metadata, wrap }], doctor.id);

    it('leaves the doctor unable to open a wrap made for the old key', async () => {
      expect(await opened(oldWrap)).toEqual([{ id: record.id, error: expect.any(String) }]);
    });

    it('wraps nothing for the new key until it is proven in the key directory, then a wrap the doctor opens with the new pair', async () => {
      const records = [{ id: record.id, wrap: record.ownerWrap }];
      const newKey = { id: doctor.id, publicKey: rotation.publicKey };
      // The patient proved the old key this session: a "new" key the server serves is not it.
      expect(await call(patient.vault, 'wrapForDoctor', patient.id, records, newKey)).toMatchObject(refusal('KEY_NOT_VERIFIED'));
      await proveKey(patient.vault, log, doctor.id, rotation.publicKey);
      const rewrapped = await result<{ fingerprint: string; wraps: Array<{ recordId: string; wrap: string }> }>(patient.vault, 'wrapForDoctor', patient.id, records, newKey);
      expect(rewrapped.fingerprint).toBe(rotation.fingerprint);
      expect(await opened(rewrapped.wraps[0].wrap)).toEqual([{ id: record.id, metadata }]);
      // And the old key is no longer one the patient's vault wraps for.
      expect(await call(patient.vault, 'wrapForDoctor', patient.id, records, { id: doctor.id, publicKey: doctor.created.keys.publicKey })).toMatchObject(refusal('KEY_NOT_VERIFIED'));
    });
  });
});
