/**
 * Record keys (DESIGN 4.3): a random file key per record, the metadata
 * document sealed under it, and the owner's wrap of it under the account key
 * with the record id and owner id as authenticated data.
 */
import type { RecordMetadata } from '@phr/shared-types';
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

export async function wrapForDoctor(doctorKey: CryptoKey, rawFileKey: Uint8Array<ArrayBuffer>, recordId: string, doctorId: string, fingerprint: string): Promise<string> {
  const label = new TextEncoder().encode(doctorWrapLabel(recordId, doctorId, fingerprint));
  return toBase64Url(new Uint8Array(await crypto.subtle.encrypt({ ...RSA_OAEP, label }, doctorKey, rawFileKey)));
}

/** Opens a doctor's wrap with the doctor's private key into a non-extractable file key. */
export async function unwrapForDoctor(privateKey: CryptoKey, wrap: string, recordId: string, doctorId: string, fingerprint: string): Promise<CryptoKey> {
  const label = new TextEncoder().encode(doctorWrapLabel(recordId, doctorId, fingerprint));
  const raw = new Uint8Array(await crypto.subtle.decrypt({ ...RSA_OAEP, label }, privateKey, fromBase64Url(wrap)));
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
