import { describe, expect, it } from '@jest/globals';
import { createEmergencyKey, checkedEmergencyKey, openEmergencyKey, releaseShare, resealKeyCheck, sealKeyCheck, unwrapForEmergency, wrapForEmergency, type EmergencyHolderKey } from './emergency.js';
import { randomBytes } from './encoding.js';
import { fingerprintHex } from './fingerprint.js';
import { importFileKey } from './record-keys.js';
import { open, seal } from './sealed.js';

const RSA = { name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]) } as const;
const PATIENT = '11111111-1111-4111-8111-111111111111';
const CLINICIAN = '22222222-2222-4222-8222-222222222222';
const BREAK = '33333333-3333-4333-8333-333333333333';
const RECORD = '44444444-4444-4444-8444-444444444444';

async function person(id: string) {
  const pair = await crypto.subtle.generateKey(RSA, true, ['encrypt', 'decrypt']);
  const fingerprint = await fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)));
  return { id, pair, fingerprint, holder: { holderId: id, publicKey: pair.publicKey, fingerprint } satisfies EmergencyHolderKey };
}

describe('break-glass keys (docs/protocol.md "Break-glass")', () => {
  it('opens the emergency key with k of n released shares and no fewer, and unwraps a file key with it', async () => {
    const holders = await Promise.all(['a', 'b', 'c'].map((letter) => person(`${letter.repeat(8)}-0000-4000-8000-000000000000`)));
    const clinician = await person(CLINICIAN);
    const emergency = await createEmergencyKey(PATIENT, holders.map((h) => h.holder), 2);
    expect(emergency.shares).toHaveLength(3);
    const fileKey = randomBytes(32);
    const wrap = await wrapForEmergency(emergency.wrappingKey, fileKey, RECORD, PATIENT, emergency.fingerprint);
    const released = await Promise.all(
      holders.map(async (h, index) => ({ share: await releaseShare(h.pair.privateKey, emergency.shares[index], PATIENT, { id: CLINICIAN, publicKey: clinician.pair.publicKey, fingerprint: clinician.fingerprint }, BREAK) })),
    );
    const access = { breakId: BREAK, clinicianId: CLINICIAN, clinicianFingerprint: clinician.fingerprint, patientId: PATIENT, publicKey: emergency.publicKey, sealedPrivateKey: emergency.sealedPrivateKey };
    const privateKey = await openEmergencyKey(clinician.pair.privateKey, [released[0], released[2]], access);
    const opened = await unwrapForEmergency(privateKey, wrap, RECORD, PATIENT, emergency.fingerprint);
    const probe = await seal(await importFileKey(fileKey), new Uint8Array([1, 2, 3]), 'probe');
    expect([...(await open(opened, probe, 'probe'))]).toEqual([1, 2, 3]);
    await expect(openEmergencyKey(clinician.pair.privateKey, [released[1]], access)).rejects.toThrow();
    // A wrap moved to another record does not open.
    await expect(unwrapForEmergency(privateKey, wrap, PATIENT, PATIENT, emergency.fingerprint)).rejects.toThrow();
  });

  it('with k = 1 any one holder opens it, and a share released for another break does not', async () => {
    const holders = await Promise.all([person('aaaaaaaa-0000-4000-8000-000000000000'), person('bbbbbbbb-0000-4000-8000-000000000000')]);
    const clinician = await person(CLINICIAN);
    const emergency = await createEmergencyKey(PATIENT, holders.map((h) => h.holder), 1);
    const target = { id: CLINICIAN, publicKey: clinician.pair.publicKey, fingerprint: clinician.fingerprint };
    const share = await releaseShare(holders[1].pair.privateKey, emergency.shares[1], PATIENT, target, BREAK);
    const access = { breakId: BREAK, clinicianId: CLINICIAN, clinicianFingerprint: clinician.fingerprint, patientId: PATIENT, publicKey: emergency.publicKey, sealedPrivateKey: emergency.sealedPrivateKey };
    await expect(openEmergencyKey(clinician.pair.privateKey, [{ share }], access)).resolves.toBeDefined();
    await expect(openEmergencyKey(clinician.pair.privateKey, [{ share }], { ...access, breakId: RECORD })).rejects.toThrow();
  });

  it('refuses an upload’s emergency key that is not the one the patient’s browser sealed', async () => {
    const accountKey = await importFileKey(randomBytes(32));
    const holder = await person('aaaaaaaa-0000-4000-8000-000000000000');
    const mine = await createEmergencyKey(PATIENT, [holder.holder], 1);
    const theirs = await createEmergencyKey(PATIENT, [holder.holder], 1);
    const keyCheck = await sealKeyCheck(accountKey, PATIENT, mine.fingerprint);
    await expect(checkedEmergencyKey({ accountKey }, PATIENT, { publicKey: mine.publicKey, keyCheck })).resolves.toMatchObject({ fingerprint: mine.fingerprint });
    await expect(checkedEmergencyKey({ accountKey }, PATIENT, { publicKey: theirs.publicKey, keyCheck })).rejects.toMatchObject({ code: 'KEY_NOT_VERIFIED' });
  });

  it('checks the emergency key through an account-key rotation: under the retiring key during it, re-sealed for the new key at its finish', async () => {
    const oldKey = await importFileKey(randomBytes(32));
    const newKey = await importFileKey(randomBytes(32));
    const holder = await person('aaaaaaaa-0000-4000-8000-000000000000');
    const mine = await createEmergencyKey(PATIENT, [holder.holder], 1);
    const keyCheck = await sealKeyCheck(oldKey, PATIENT, mine.fingerprint);
    const emergency = { publicKey: mine.publicKey, keyCheck };
    // During the rotation the new key is in force and the check is still under the old one.
    await expect(checkedEmergencyKey({ accountKey: newKey, retiringAccountKey: oldKey }, PATIENT, emergency)).resolves.toMatchObject({ fingerprint: mine.fingerprint });
    await expect(checkedEmergencyKey({ accountKey: newKey }, PATIENT, emergency)).rejects.toThrow();
    // The finish sends it re-sealed: after it, the new key alone checks it, and a second re-seal leaves it as it is.
    const resealed = await resealKeyCheck({ oldKey, newKey }, PATIENT, keyCheck);
    await expect(checkedEmergencyKey({ accountKey: newKey }, PATIENT, { ...emergency, keyCheck: resealed })).resolves.toMatchObject({ fingerprint: mine.fingerprint });
    expect(await resealKeyCheck({ oldKey, newKey }, PATIENT, resealed)).toBe(resealed);
    const stranger = await importFileKey(randomBytes(32));
    await expect(resealKeyCheck({ oldKey: stranger, newKey }, PATIENT, keyCheck)).rejects.toMatchObject({ code: 'KEY_NOT_VERIFIED' });
  });
});
