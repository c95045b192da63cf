/**
 * Record keys (DESIGN 4.3): a random file key per record, the metadata
 * document sealed under it, and the owner's wrap of it under the account key
 * with the record id and owner id as authenticated data.
 */
import type { RecordMetadata, SealedFolderLabel } from '@phr/shared-types';
import { fromBase64Url, randomBytes, toBase64Url } from './encoding.js';
import { decodeRecordMetadata, encodeRecordMetadata } from './record-metadata.js';
import { open, seal } from './sealed.js';

/** Everything about a file the server must not learn (DESIGN 2); schema and limits in record-metadata.ts. */
export type { RecordMetadata };

const AES_GCM = { name: 'AES-GCM', length: 256 } as const;

export interface NewFileKey {
  key: CryptoKey;
  /** Kept only while the owner's wrap is made; the caller zeroes it. */
  raw: Uint8Array<ArrayBuffer>;
}

export async function newFileKey(): Promise<NewFileKey> {
  const raw = randomBytes(32);
  return { raw, key: await importFileKey(raw) };
}

export function importFileKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, AES_GCM, false, ['encrypt', 'decrypt']);
}

const ownerWrapAad = (recordId: string, ownerId: string) => `phr/v1/file-key|${recordId}|${ownerId}`;
const metadataAad = (recordId: string) => `phr/v1/metadata|${recordId}`;
const folderNameAad = (ownerId: string) => `phr/v1/folder-name|${ownerId}`;

export function wrapForOwner(accountKey: CryptoKey, rawFileKey: Uint8Array<ArrayBuffer>, recordId: string, ownerId: string): Promise<string> {
  return seal(accountKey, rawFileKey, ownerWrapAad(recordId, ownerId));
}

/** Opens the owner's wrap into a non-extractable file key. */
export async function unwrapForOwner(accountKey: CryptoKey, wrap: string, recordId: string, ownerId: string): Promise<CryptoKey> {
  const raw = await open(accountKey, wrap, ownerWrapAad(recordId, ownerId));
  try {
    return await importFileKey(raw);
  } finally {
    raw.fill(0);
  }
}

export async function sealMetadata(fileKey: CryptoKey, recordId: string, metadata: RecordMetadata): Promise<string> {
  return seal(fileKey, encodeRecordMetadata(metadata), metadataAad(recordId));
}

export async function openMetadata(fileKey: CryptoKey, recordId: string, sealed: string): Promise<RecordMetadata> {
  return decodeRecordMetadata(await open(fileKey, sealed, metadataAad(recordId)));
}

export function sealFolderName(accountKey: CryptoKey, ownerId: string, name: string): Promise<string> {
  return seal(accountKey, new TextEncoder().encode(name), folderNameAad(ownerId));
}

export async function openFolderName(accountKey: CryptoKey, ownerId: string, sealed: string): Promise<string> {
  return new TextDecoder().decode(await open(accountKey, sealed, folderNameAad(ownerId)));
}

const RSA_OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;

/** DESIGN 4.3: the label names the record, the doctor and the doctor's key, so a moved wrap fails to open. */
export const doctorWrapLabel = (recordId: string, doctorId: string, fingerprint: string) => `phr/v1/doctor-wrap|${recordId}|${doctorId}|${fingerprint}`;

export function importDoctorKey(spki: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('spki', spki, RSA_OAEP, false, ['encrypt']);
}

export function wrapForDoctor(doctorKey: CryptoKey, rawFileKey: Uint8Array<ArrayBuffer>, recordId: string, doctorId: string, fingerprint: string): Promise<string> {
  return rsaWrap(doctorKey, rawFileKey, doctorWrapLabel(recordId, doctorId, fingerprint));
}

/** Opens a doctor's wrap with the doctor's private key into a non-extractable file key. */
export function unwrapForDoctor(privateKey: CryptoKey, wrap: string, recordId: string, doctorId: string, fingerprint: string): Promise<CryptoKey> {
  return rsaUnwrap(privateKey, wrap, doctorWrapLabel(recordId, doctorId, fingerprint));
}

/** docs/protocol.md "Folder labels": the label key's RSA-OAEP label names the folder, the doctor and the doctor's key. */
export const folderLabelKeyLabel = (folderId: string, doctorId: string, fingerprint: string) => `phr/v1/folder-label-key|${folderId}|${doctorId}|${fingerprint}`;
const folderLabelAad = (folderId: string, doctorId: string) => `phr/v1/folder-label|${folderId}|${doctorId}`;

/**
 * A folder's name sealed for a doctor: a fresh AES-256-GCM key seals the UTF-8 name, and that
 * key is wrapped with the doctor's RSA-OAEP key, as a record's file key is.
 */
export async function sealFolderLabel(doctorKey: CryptoKey, name: string, folderId: string, doctorId: string, fingerprint: string): Promise<SealedFolderLabel> {
  const labelKey = await newFileKey();
  try {
    return {
      wrap: await rsaWrap(doctorKey, labelKey.raw, folderLabelKeyLabel(folderId, doctorId, fingerprint)),
      name: await seal(labelKey.key, new TextEncoder().encode(name), folderLabelAad(folderId, doctorId)),
    };
  } finally {
    labelKey.raw.fill(0);
  }
}

/** Opens a folder label with the doctor's private key; fails (CryptoError or DOMException) when it was changed or made for another key. */
export async function openFolderLabel(privateKey: CryptoKey, label: SealedFolderLabel, folderId: string, doctorId: string, fingerprint: string): Promise<string> {
  const labelKey = await rsaUnwrap(privateKey, label.wrap, folderLabelKeyLabel(folderId, doctorId, fingerprint));
  return new TextDecoder('utf-8', { fatal: true }).decode(await open(labelKey, label.name, folderLabelAad(folderId, doctorId)));
}

async function rsaWrap(publicKey: CryptoKey, rawKey: Uint8Array<ArrayBuffer>, label: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.encrypt({ ...RSA_OAEP, label: new TextEncoder().encode(label) }, publicKey, rawKey)));
}

/** An RSA-OAEP wrap opened into a non-extractable AES-GCM key; the raw bytes are zeroed. */
async function rsaUnwrap(privateKey: CryptoKey, wrap: string, label: string): Promise<CryptoKey> {
  const raw = new Uint8Array(await crypto.subtle.decrypt({ ...RSA_OAEP, label: new TextEncoder().encode(label) }, privateKey, fromBase64Url(wrap)));
  try {
    return await importFileKey(raw);
  } finally {
    raw.fill(0);
  }
}

/** The owner's wrap opened to raw bytes, only long enough to wrap them for a doctor; the caller zeroes them. */
export function openOwnerWrap(accountKey: CryptoKey, wrap: string, recordId: string, ownerId: string): Promise<Uint8Array<ArrayBuffer>> {
  return open(accountKey, wrap, ownerWrapAad(recordId, ownerId));
}
