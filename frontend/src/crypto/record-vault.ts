/**
 * The vault's record methods (DESIGN 4.3, 5): file keys are made, used and
 * unwrapped here, inside the worker; the page gets sealed segments, sealed
 * metadata, wraps and, when it opens a record, the plaintext as a Blob.
 */
import { RECORD_CHUNK_BYTES, recordLayout, type Consent, type Folder, type RecordLayout, type RecordSummary, type SealedFolderLabel, type SegmentUrl } from '@phr/shared-types';
import { CryptoError } from './errors.js';
import { openUnderAccountKeys } from './key-rotation.js';
import { fromBase64Url } from './encoding.js';
import { fingerprintHex } from './fingerprint.js';
import {
  importDoctorKey,
  newFileKey,
  openFolderLabel,
  openFolderName,
  openMetadata,
  openOwnerWrap,
  sealFolderLabel,
  sealFolderName,
  sealMetadata,
  unwrapForDoctor,
  unwrapForOwner,
  wrapForDoctor,
  wrapForOwner,
  type RecordMetadata,
} from './record-keys.js';
import { checkedEmergencyKey, wrapForEmergency } from './emergency.js';
import { BlobBuilder, encryptSegment, RecordDecryptor } from './record-stream.js';
import { Sha256 } from './sha256.js';

/** The presign answer's emergency key (PresignUploadResponse.emergencyKey). */
export type EmergencyKeyForUpload = { publicKey: string; keyCheck: string };

/** A file being encrypted for upload: its key lives only until the record is committed or cancelled. */
export interface PendingRecord {
  file: Blob;
  key: CryptoKey;
  rawKey: Uint8Array<ArrayBuffer>;
  layout: RecordLayout;
  chunkBytes: number;
  /** Segment PUTs in flight, so a cancel can stop them. */
  requests: Set<XMLHttpRequest>;
  /** The segment after the last one asked for, sealed before it is asked for (see `uploadSegment`). */
  ahead: { index: number; body: Promise<Blob> } | null;
  /** The first segment neither asked for nor sealed ahead. */
  nextUnasked: number;
}

export interface RecordVaultState {
  /** `retiringAccountKey`: during an account-key rotation, the old key, which still opens rows not yet re-sealed. */
  keys: { accountKey: CryptoKey; privateKey: CryptoKey; publicKey: CryptoKey; retiringAccountKey?: CryptoKey } | null;
  pendingRecords: Map<string, PendingRecord>;
  /** The last segment queued for sealing: one is sealed at a time in the worker (see `uploadSegment`). */
  sealing: Promise<unknown>;
}

/** Progress of one segment: its sealed size once encrypted, then bytes the store received. */
export type SegmentEvent = { kind: 'encrypted'; bytes: number } | { kind: 'sent'; bytes: number };

/** The store's answer to a segment PUT: 2xx stored, 412 already stored, 403 URL expired or refused, 0 no connection. */
export interface SegmentUploadResult {
  status: number;
}

/** Where a sealed segment goes: its pre-signed URL and the headers signed into it (SegmentUrl). */
export interface SegmentTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface SealedRecord {
  metadata: string;
  ownerWrap: string;
  doctorWraps: Array<{ doctorId: string; wrap: string }>;
  /** When break-glass reaches where the record goes (docs/protocol.md "Break-glass"). */
  emergencyWrap?: string;
}

/** A doctor to wrap file keys for: the public key as the API returned it. */
export interface DoctorKey {
  id: string;
  publicKey: string;
}

export interface DoctorWraps {
  /** Computed here from the key that was used, for the patient to compare aloud with the doctor. */
  fingerprint: string;
  wraps: Array<{ recordId: string; wrap: string }>;
}

/** A consent's folder name opened by its doctor, or null when it could not be opened (changed, or sealed for another key). */
export interface OpenedFolderLabel {
  consentId: string;
  name: string | null;
}

/** Metadata of a listed record, or why it could not be opened. */
export type OpenedMetadata = { id: string; metadata: RecordMetadata } | { id: string; error: string };

export interface DecryptedRecord {
  metadata: RecordMetadata;
  /** The plaintext, typed with the record's MIME type. */
  file: Blob;
  /** SHA-256 of the plaintext, hex, when asked for (the data export lists it). */
  sha256?: string;
}

export interface DecryptOptions {
  /** Hash the plaintext as it is decrypted (one pass, no second read of the Blob). */
  withDigest?: boolean;
}

/** The parts of GET /records/:id the decryption needs. */
export type RecordToOpen = Pick<RecordSummary, 'id' | 'ownerId' | 'metadata' | 'wrap'> & { segments: SegmentUrl[] };

function accountKey(state: RecordVaultState): CryptoKey {
  if (!state.keys) throw new CryptoError('LOCKED', 'The keys are locked; sign in again');
  return state.keys.accountKey;
}

function pending(state: RecordVaultState, recordId: string): PendingRecord {
  const record = state.pendingRecords.get(recordId);
  if (!record) throw new CryptoError('NO_PENDING_RECORD', 'This upload was cancelled or already finished');
  return record;
}

function keys(state: RecordVaultState): NonNullable<RecordVaultState['keys']> {
  if (!state.keys) throw new CryptoError('LOCKED', 'The keys are locked; sign in again');
  return state.keys;
}

/**
 * The file key of a record the viewer may read: the owner's wrap under the
 * account key, or, for a doctor, the RSA-OAEP wrap made for their key.
 */
async function fileKeyOf(state: RecordVaultState, record: Pick<RecordSummary, 'id' | 'ownerId' | 'wrap'>, viewerId: string): Promise<CryptoKey> {
  const { privateKey, publicKey } = keys(state);
  try {
    if (record.ownerId === viewerId) return await openUnderAccountKeys(keys(state), (key) => unwrapForOwner(key, record.wrap, record.id, record.ownerId));
    const fingerprint = await fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', publicKey)));
    return await unwrapForDoctor(privateKey, record.wrap, record.id, viewerId, fingerprint);
  } catch (error) {
    if (error instanceof CryptoError && error.code === 'LOCKED') throw error;
    throw new CryptoError('WRAP_INVALID', 'The key of this record cannot be opened with your keys');
  }
}

export const recordVaultMethods = {
  /** Starts encrypting a file for the record id the API reserved; answers the layout of its segments. */
  async beginRecord(state: RecordVaultState, recordId: string, file: Blob, chunkBytes: number = RECORD_CHUNK_BYTES): Promise<RecordLayout> {
    accountKey(state);
    if (chunkBytes !== RECORD_CHUNK_BYTES) throw new CryptoError('UNSUPPORTED_CHUNK', `The API asked for ${chunkBytes}-byte chunks; this portal writes ${RECORD_CHUNK_BYTES}`);
    const { key, raw } = await newFileKey();
    const layout = recordLayout(file.size, chunkBytes);
    state.pendingRecords.set(recordId, { file, key, rawKey: raw, layout, chunkBytes, requests: new Set(), ahead: null, nextUnasked: 0 });
    return layout;
  },

  /** One sealed segment, ready for its pre-signed PUT. */
  async encryptSegment(state: RecordVaultState, recordId: string, segmentIndex: number): Promise<Blob> {
    const record = pending(state, recordId);
    const segment = record.layout.segments[segmentIndex];
    if (!segment) throw new CryptoError('NO_SUCH_SEGMENT', `The record has no segment ${segmentIndex}`);
    return encryptSegment(record.key, recordId, record.file, record.layout, segment, record.chunkBytes);
  },

  /**
   * Encrypts one segment and PUTs it to its pre-signed URL from here, the
   * worker: the sealed bytes never cross to the page, and the worker's own
   * garbage collection frees them (DESIGN 5; docs/benchmarks.md). Segments are
   * sealed one at a time, in the order asked (AES-GCM runs on this thread), and
   * the segment after the last one asked for is sealed as soon as the worker
   * is free, before the page asks for it: its sealing does not wait for a PUT
   * to end and free a place for it. So the worker holds at most one segment of
   * sealed chunks, and the browser one sealed segment beyond those being sent.
   */
  async uploadSegment(state: RecordVaultState, recordId: string, segmentIndex: number, target: SegmentTarget, onEvent?: (event: SegmentEvent) => void): Promise<SegmentUploadResult> {
    const record = pending(state, recordId);
    if (!record.layout.segments[segmentIndex]) throw new CryptoError('NO_SUCH_SEGMENT', `The record has no segment ${segmentIndex}`);
    record.nextUnasked = Math.max(record.nextUnasked, segmentIndex + 1);
    const body = await sealedSegment(state, recordId, record, segmentIndex);
    sealAhead(state, recordId, record);
    onEvent?.({ kind: 'encrypted', bytes: body.size });
    return { status: await put(record.requests, target, body, (bytes) => onEvent?.({ kind: 'sent', bytes })) };
  },

  /** Seals the metadata and wraps the file key for the owner; the key leaves the worker's memory. */
  async finishRecord(state: RecordVaultState, recordId: string, ownerId: string, metadata: RecordMetadata, doctors: DoctorKey[] = [], emergency: EmergencyKeyForUpload | null = null): Promise<SealedRecord> {
    const record = pending(state, recordId);
    const checked = emergency ? await checkedEmergencyKey(keys(state), ownerId, emergency) : null;
    const sealed: SealedRecord = {
      metadata: await sealMetadata(record.key, recordId, metadata),
      ownerWrap: await wrapForOwner(accountKey(state), record.rawKey, recordId, ownerId),
      doctorWraps: await Promise.all(
        doctors.map(async (doctor) => {
          const spki = fromBase64Url(doctor.publicKey);
          const wrap = await wrapForDoctor(await importDoctorKey(spki), record.rawKey, recordId, doctor.id, await fingerprintHex(spki));
          return { doctorId: doctor.id, wrap };
        }),
      ),
    };
    if (checked) sealed.emergencyWrap = await wrapForEmergency(checked.key, record.rawKey, recordId, ownerId, checked.fingerprint);
    record.rawKey.fill(0);
    state.pendingRecords.delete(recordId);
    return sealed;
  },

  /** Forgets the file key and stops the segment PUTs in flight. */
  async cancelRecord(state: RecordVaultState, recordId: string): Promise<void> {
    const record = state.pendingRecords.get(recordId);
    state.pendingRecords.delete(recordId);
    record?.rawKey.fill(0);
    for (const request of record?.requests ?? []) request.abort();
  },

  /**
   * Wraps the file keys of the patient's own records for a doctor (DESIGN 5,
   * share): each owner wrap is opened to raw bytes only long enough to seal
   * them with the doctor's public key.
   */
  async wrapForDoctor(state: RecordVaultState, ownerId: string, records: Array<Pick<RecordSummary, 'id' | 'wrap'>>, doctor: DoctorKey): Promise<DoctorWraps> {
    const ownerKeys = keys(state);
    const spki = fromBase64Url(doctor.publicKey);
    const fingerprint = await fingerprintHex(spki);
    const doctorKey = await importDoctorKey(spki);
    const wraps = [];
    for (const record of records) {
      const raw = await openUnderAccountKeys(ownerKeys, (key) => openOwnerWrap(key, record.wrap, record.id, ownerId));
      try {
        wraps.push({ recordId: record.id, wrap: await wrapForDoctor(doctorKey, raw, record.id, doctor.id, fingerprint) });
      } finally {
        raw.fill(0);
      }
    }
    return { fingerprint, wraps };
  },

  /**
   * Re-seals the owner's record metadata under the record's file key (a new IV, the same AAD):
   * rename, re-date, re-categorise (docs/protocol.md "Organising records"). Only the owner's
   * wrap opens the key here; the server receives the sealed document and learns nothing of it.
   */
  async resealMetadata(state: RecordVaultState, record: Pick<RecordSummary, 'id' | 'ownerId' | 'wrap'>, metadata: RecordMetadata): Promise<string> {
    return sealMetadata(await fileKeyOf(state, record, record.ownerId), record.id, metadata);
  },

  /** The fingerprint of a public key, computed here rather than taken from the server. */
  async fingerprintOf(_state: RecordVaultState, publicKey: string): Promise<string> {
    return fingerprintHex(fromBase64Url(publicKey));
  },

  /** Opens the metadata of listed records; one that cannot be opened is reported, not thrown. */
  async openRecordMetadata(state: RecordVaultState, records: Array<Pick<RecordSummary, 'id' | 'ownerId' | 'wrap' | 'metadata'>>, viewerId: string): Promise<OpenedMetadata[]> {
    accountKey(state);
    return Promise.all(
      records.map(async (record) => {
        try {
          return { id: record.id, metadata: await openMetadata(await fileKeyOf(state, record, viewerId), record.id, record.metadata) };
        } catch (error) {
          return { id: record.id, error: error instanceof CryptoError ? error.message : 'The record cannot be opened' };
        }
      }),
    );
  },

  /**
   * Downloads a record's segments and decrypts them as a stream, holding one
   * chunk beyond what is already in the result Blob. Any change, cut or
   * reordering fails with RECORD_CORRUPT; nothing of a damaged file is returned.
   */
  async decryptRecord(state: RecordVaultState, record: RecordToOpen, viewerId: string, options: DecryptOptions = {}): Promise<DecryptedRecord> {
    return decryptWithKey(await fileKeyOf(state, record, viewerId), record, options);
  },

  async sealFolderName(state: RecordVaultState, ownerId: string, name: string): Promise<string> {
    return sealFolderName(accountKey(state), ownerId, name);
  },

  /** A folder's name sealed for a doctor (docs/protocol.md "Folder labels"), with a fresh key wrapped for the doctor's key. */
  async sealFolderLabel(_state: RecordVaultState, folderId: string, name: string, doctor: DoctorKey): Promise<SealedFolderLabel> {
    const spki = fromBase64Url(doctor.publicKey);
    return sealFolderLabel(await importDoctorKey(spki), name, folderId, doctor.id, await fingerprintHex(spki));
  },

  /** Opens the folder labels of a doctor's consents with the doctor's private key; one that cannot be opened is null, never thrown. */
  async openFolderLabels(state: RecordVaultState, viewerId: string, consents: Array<Pick<Consent, 'id' | 'folderId' | 'folderLabel'>>): Promise<OpenedFolderLabel[]> {
    const { privateKey, publicKey } = keys(state);
    const fingerprint = await fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', publicKey)));
    return Promise.all(
      consents.map(async (consent) => ({
        consentId: consent.id,
        name:
          consent.folderLabel && consent.folderId
            ? await openFolderLabel(privateKey, consent.folderLabel, consent.folderId, viewerId, fingerprint).catch(() => null)
            : null,
      })),
    );
  },

  async openFolderNames(state: RecordVaultState, ownerId: string, folders: Folder[]): Promise<Array<{ id: string; name: string }>> {
    const ownerKeys = keys(state);
    return Promise.all(
      folders.map(async (folder) => ({
        id: folder.id,
        name: await openUnderAccountKeys(ownerKeys, (key) => openFolderName(key, ownerId, folder.name)).catch(() => '(name cannot be opened)'),
      })),
    );
  },
};

/**
 * Downloads a record's segments and decrypts them with its file key as a stream (decryptRecord,
 * and a clinician's break-glass read with a key the emergency key unwrapped).
 */
export async function decryptWithKey(key: CryptoKey, record: RecordToOpen, options: DecryptOptions = {}): Promise<DecryptedRecord> {
  const metadata = await openMetadata(key, record.id, record.metadata);
  const decryptor = new RecordDecryptor(key, record.id);
  const digest = options.withDigest ? new Sha256() : null;
  const plaintext = new BlobBuilder(metadata.mimeType || 'application/octet-stream');
  const append = (chunk: Uint8Array<ArrayBuffer>) => {
    digest?.update(chunk);
    plaintext.append(chunk);
  };
  for (const segment of [...record.segments].sort((a, b) => a.index - b.index)) {
    // A store that stops answering would leave Open spinning for ever: no byte for DOWNLOAD_STALL_MS ends the download.
    const watchdog = new StallWatchdog(DOWNLOAD_STALL_MS);
    try {
      const response = await fetch(segment.url, { signal: watchdog.signal }).catch(() => null);
      watchdog.throwIfStalled();
      if (response?.status === 403) throw new CryptoError('DOWNLOAD_EXPIRED', 'The download link expired');
      if (!response?.ok || !response.body) throw new CryptoError('DOWNLOAD_FAILED', `The encrypted file could not be downloaded (${response?.status ?? 'network error'})`);
      const reader = response.body.getReader();
      for (let read = await reader.read().catch(watchdog.rethrow); !read.done; read = await reader.read().catch(watchdog.rethrow)) {
        watchdog.reset();
        for (const chunk of await decryptor.push(read.value)) append(chunk);
      }
    } finally {
      watchdog.stop();
    }
  }
  append(await decryptor.finish());
  return { metadata, file: plaintext.finish(), ...(digest ? { sha256: digest.digestHex() } : {}) };
}

/** The segment's body: the one sealed ahead if it is this one (taken, so a retry seals again), else sealed now, after those queued. */
function sealedSegment(state: RecordVaultState, recordId: string, record: PendingRecord, segmentIndex: number): Promise<Blob> {
  if (record.ahead?.index === segmentIndex) {
    const { body } = record.ahead;
    record.ahead = null;
    return body;
  }
  return queueSealing(state, recordId, record, segmentIndex);
}

/** Queues the first segment not yet asked for, unless one sealed ahead is still waiting to be asked for. */
function sealAhead(state: RecordVaultState, recordId: string, record: PendingRecord): void {
  if (record.ahead || record.nextUnasked >= record.layout.segments.length) return;
  const index = record.nextUnasked++;
  const body = queueSealing(state, recordId, record, index);
  // Reported where it is asked for; a cancelled upload never asks.
  body.catch(() => undefined);
  record.ahead = { index, body };
}

function queueSealing(state: RecordVaultState, recordId: string, record: PendingRecord, segmentIndex: number): Promise<Blob> {
  const segment = record.layout.segments[segmentIndex];
  const body = state.sealing.then(() => sealedBody(state, recordId, record, segment));
  state.sealing = body.catch(() => undefined);
  return body;
}

/** A segment's sealed chunks as one Blob, the PUT's body; refused if the upload was cancelled meanwhile. */
async function sealedBody(state: RecordVaultState, recordId: string, record: PendingRecord, segment: RecordLayout['segments'][number]): Promise<Blob> {
  pending(state, recordId);
  const body = await encryptSegment(record.key, recordId, record.file, record.layout, segment, record.chunkBytes);
  pending(state, recordId);
  return body;
}

/** PUT with upload progress (fetch reports none for request bodies), with the headers the URL was signed with. */
function put(requests: Set<XMLHttpRequest>, target: SegmentTarget, body: Blob, onSent: (bytes: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    requests.add(xhr);
    xhr.open('PUT', target.url);
    for (const [name, value] of Object.entries(target.headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onloadend = () => requests.delete(xhr);
    xhr.onload = () => resolve(xhr.status);
    xhr.onerror = () => resolve(0);
    xhr.onabort = () => reject(new CryptoError('UPLOAD_CANCELLED', 'The upload was cancelled'));
    xhr.send(body);
  });
}

/** Seconds without a byte from the store after which a download is given up (Open then says so). */
export const DOWNLOAD_STALL_MS = 20_000;

/** Aborts a download that received nothing for `ms`; reset on every byte received. */
class StallWatchdog {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout>;
  readonly signal = this.controller.signal;

  constructor(private readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), ms);
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  throwIfStalled(): void {
    if (this.signal.aborted) throw stalled();
  }

  /** For a read that failed: a stall says so, anything else is a failed download. */
  readonly rethrow = (): never => {
    if (this.signal.aborted) throw stalled();
    throw new CryptoError('DOWNLOAD_FAILED', 'The encrypted file could not be downloaded (the connection was lost)');
  };
}

function stalled(): CryptoError {
  return new CryptoError('DOWNLOAD_STALLED', `The storage service stopped answering for ${DOWNLOAD_STALL_MS / 1000} seconds; nothing was opened. Try again.`);
}
