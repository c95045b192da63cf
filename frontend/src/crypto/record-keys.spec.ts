import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RECORD_CATEGORIES } from '@phr/shared-types';
import { toBase64Url } from './encoding.js';
import {
  importDoctorKey,
  newFileKey,
  openFolderLabel,
  openFolderName,
  openMetadata,
  sealFolderLabel,
  sealFolderName,
  sealMetadata,
  unwrapForOwner,
  wrapForOwner,
  type RecordMetadata,
} from './record-keys.js';

const accountKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
const RECORD = '5b4c3f0e-6c1d-4f3e-9a2b-1c0d9e8f7a6b';
const OWNER = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const METADATA: RecordMetadata = { fileName: 'blood-test.pdf', mimeType: 'application/pdf', title: 'Blood test', date: '2026-11-02', category: 'lab-result', notes: 'fasting' };

/** Any document the schema takes (docs/protocol.md "Record metadata"). */
const validMetadata = (): fc.Arbitrary<RecordMetadata> =>
  fc.record({
    fileName: fc.string({ minLength: 1, maxLength: 255 }),
    mimeType: fc.constantFrom('application/pdf', 'image/jpeg', 'application/octet-stream', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
    title: fc.string({ minLength: 1, maxLength: 255 }),
    date: fc.oneof(fc.constant(''), fc.date({ min: new Date('1900-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10))),
    category: fc.constantFrom(...RECORD_CATEGORIES),
    notes: fc.string({ maxLength: 2000 }),
  });

describe('record keys (DESIGN 4.3)', () => {
  it('wraps a file key for its owner; the wrap opens only for that record and that owner', async () => {
    const key = await accountKey();
    const fileKey = await newFileKey();
    const wrap = await wrapForOwner(key, fileKey.raw, RECORD, OWNER);
    const reopened = await unwrapForOwner(key, wrap, RECORD, OWNER);
    expect(reopened.extractable).toBe(false);
    const sealed = await sealMetadata(fileKey.key, RECORD, METADATA);
    expect(await openMetadata(reopened, RECORD, sealed)).toEqual(METADATA);
    await expect(unwrapForOwner(key, wrap, OWNER, OWNER)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await expect(unwrapForOwner(key, wrap, RECORD, RECORD)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await expect(unwrapForOwner(await accountKey(), wrap, RECORD, OWNER)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('seals any metadata so that it opens only for its record', async () => {
    const { key } = await newFileKey();
    await fc.assert(
      fc.asyncProperty(validMetadata(), async (metadata) => {
        const sealed = await sealMetadata(key, RECORD, metadata);
        expect(await openMetadata(key, RECORD, sealed)).toEqual(metadata);
        await expect(openMetadata(key, OWNER, sealed)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
      }),
      { numRuns: 25 },
    );
  });

  it('seals folder names under the account key', async () => {
    const key = await accountKey();
    const sealed = await sealFolderName(key, OWNER, 'Cardiology 2026');
    expect(sealed).not.toContain('Cardiology');
    expect(await openFolderName(key, OWNER, sealed)).toBe('Cardiology 2026');
  });

  it('seals a folder label for a doctor: it opens only with that doctor’s private key, for that folder, doctor and key, and a changed byte fails', async () => {
    const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
    const other = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
    const doctorKey = await importDoctorKey(new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)));
    const fingerprint = 'ab'.repeat(32);
    const label = await sealFolderLabel(doctorKey, 'Kardiologie – Zürich', RECORD, OWNER, fingerprint);
    expect(label.wrap).toHaveLength(512);
    expect(label.name).not.toContain('Kardiologie');
    expect(await openFolderLabel(pair.privateKey, label, RECORD, OWNER, fingerprint)).toBe('Kardiologie – Zürich');
    await expect(openFolderLabel(other.privateKey, label, RECORD, OWNER, fingerprint)).rejects.toThrow();
    await expect(openFolderLabel(pair.privateKey, label, OWNER, OWNER, fingerprint)).rejects.toThrow();
    await expect(openFolderLabel(pair.privateKey, label, RECORD, RECORD, fingerprint)).rejects.toThrow();
    await expect(openFolderLabel(pair.privateKey, label, RECORD, OWNER, 'cd'.repeat(32))).rejects.toThrow();
    const name = Buffer.from(label.name, 'base64url');
    name[name.length - 1] ^= 1;
    await expect(openFolderLabel(pair.privateKey, { ...label, name: toBase64Url(new Uint8Array(name)) }, RECORD, OWNER, fingerprint)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    const swapped = await sealFolderLabel(doctorKey, 'Other', RECORD, OWNER, fingerprint);
    await expect(openFolderLabel(pair.privateKey, { wrap: label.wrap, name: swapped.name }, RECORD, OWNER, fingerprint)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });
});
