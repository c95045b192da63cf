/** Encrypted records (DESIGN 4.3, 5). */
import type { Base64Url, IsoDateTime, Uuid } from './common.js';
import type { CommitDoctorWrap } from './consents.js';
import type { CommitContactWrap, CoveringContact } from './trusted-contacts.js';

/** Plaintext bytes per sealed chunk (measured: Chromium's AES-GCM is fastest at <= 512 KiB, see docs/benchmarks.md). */
export const RECORD_CHUNK_BYTES = 256 * 1024;
/** AES-GCM tag appended to every chunk. */
export const RECORD_TAG_BYTES = 16;
/** Bytes of the stream header that starts segment 0: magic, version, chunk size. */
export const RECORD_HEADER_BYTES = 16;
/** Chunks per stored segment object: 256 x 256 KiB = 64 MiB of plaintext per object (16 MiB measured no faster: docs/benchmarks.md). */
export const RECORD_CHUNKS_PER_SEGMENT = 256;
/** Characters (base64url) of the sealed metadata document the API accepts. */
export const MAX_METADATA_CHARS = 16_384;

/**
 * A record's category in its sealed metadata: a stable code, never a label in
 * some language (docs/protocol.md "Record metadata"). The portal shows a label
 * for each; a reader maps a value it does not know to `other`.
 */
export const RECORD_CATEGORIES = ['lab-result', 'imaging', 'prescription', 'letter', 'vaccination', 'other'] as const;
export type RecordCategory = (typeof RECORD_CATEGORIES)[number];

/**
 * What the portal wrote as the category before codes (English labels), and the
 * code each one means. Readers keep mapping them: those records exist.
 */
export const LEGACY_CATEGORY_LABELS: Readonly<Record<string, RecordCategory>> = {
  'Lab result': 'lab-result',
  Imaging: 'imaging',
  Prescription: 'prescription',
  Letter: 'letter',
  Vaccination: 'vaccination',
  Other: 'other',
};

/**
 * The record metadata document (DESIGN 4.3): everything about a file the server
 * must not learn, sealed under the file key. Limits are in UTF-16 code units
 * (JavaScript string length); docs/protocol.md "Record metadata" gives the schema.
 */
export interface RecordMetadata {
  /** The file's name as the person's system gave it: 1 to 255. */
  fileName: string;
  /** `type/subtype` (RFC 6838), at most 255; `application/octet-stream` when unknown. */
  mimeType: string;
  /** 1 to 255. */
  title: string;
  /** The calendar date the record is about, `YYYY-MM-DD`, or "" when none was given. */
  date: string;
  category: RecordCategory;
  /** At most 2 000; "" for none. */
  notes: string;
}

export const RECORD_METADATA_LIMITS = { fileName: 255, mimeType: 255, title: 255, notes: 2_000 } as const;

export interface SegmentLayout {
  index: number;
  /** Ciphertext bytes of this segment object. */
  byteLength: number;
  firstChunk: number;
  chunkCount: number;
}

export interface RecordLayout {
  chunkCount: number;
  ciphertextBytes: number;
  segments: SegmentLayout[];
}

/**
 * Where every ciphertext byte of a record goes. Both sides compute it: the
 * portal to cut segments, the API to check each stored object's size.
 */
export function recordLayout(plaintextBytes: number, chunkBytes: number = RECORD_CHUNK_BYTES, chunksPerSegment: number = RECORD_CHUNKS_PER_SEGMENT): RecordLayout {
  const chunkCount = Math.max(1, Math.ceil(plaintextBytes / chunkBytes));
  const segments: SegmentLayout[] = [];
  for (let firstChunk = 0, index = 0; firstChunk < chunkCount; firstChunk += chunksPerSegment, index++) {
    const count = Math.min(chunksPerSegment, chunkCount - firstChunk);
    const plaintextInSegment = Math.min(plaintextBytes - firstChunk * chunkBytes, count * chunkBytes);
    const header = index === 0 ? RECORD_HEADER_BYTES : 0;
    segments.push({ index, byteLength: header + Math.max(0, plaintextInSegment) + count * RECORD_TAG_BYTES, firstChunk, chunkCount: count });
  }
  return { chunkCount, ciphertextBytes: segments.reduce((sum, segment) => sum + segment.byteLength, 0), segments };
}

/** A pre-signed URL for one segment object. */
export interface SegmentUrl {
  index: number;
  url: string;
  /** The segment's sealed size; a PUT must send exactly this many bytes (its Content-Length is signed). */
  byteLength: number;
  /**
   * Headers the request must carry exactly as given, because they are signed into
   * the URL. Upload URLs carry `If-None-Match: *`: the store takes a segment only
   * if none is stored yet, so a URL can never replace a stored (or committed)
   * segment; a 412 answer means the segment is already there.
   */
  headers?: Record<string, string>;
}

/** POST /records/presign: reserve a record id and get upload URLs (minutes long). */
export interface PresignUploadRequest {
  /** Plaintext size in bytes; the server learns sizes (DESIGN 2). */
  size: number;
  /** Renew the URLs of an upload not yet committed (after they expired). */
  recordId?: Uuid;
  /** The folder the record will be committed into, when it matters for which doctors must get a wrap. */
  folderId?: Uuid;
}
/** A doctor whose consent in force covers a new record: the commit must carry a wrap for them (DESIGN 5). */
export interface CoveringDoctor {
  id: Uuid;
  displayName: string;
  /** The doctor's current public key as the server holds it: the browser proves it in the key directory before it wraps. */
  publicKey: string;
}
export interface PresignUploadResponse {
  recordId: Uuid;
  chunkBytes: number;
  segments: SegmentUrl[];
  expiresAt: IsoDateTime;
  /** The doctors the new record must be wrapped for (into the folder named in the request, or none). */
  coveringDoctors: CoveringDoctor[];
  /** The trusted contacts whose scope takes the new record in (docs/protocol.md "Trusted contacts"): the commit must carry a wrap for each. */
  coveringContacts: CoveringContact[];
  /**
   * The patient's break-glass key when the record goes where break-glass reaches (docs/protocol.md
   * "Break-glass"): the commit must carry `emergencyWrap`. `keyCheck` is the key's fingerprint
   * sealed under the patient's account key at setup: the browser opens it and compares, so a
   * server cannot slip in a key of its own.
   */
  emergencyKey: { publicKey: Base64Url; keyCheck: Base64Url } | null;
}

/** POST /records: commit an uploaded record. */
export interface CommitRecordRequest {
  recordId: Uuid;
  folderId?: Uuid;
  /** The record metadata document (RecordMetadata as UTF-8 JSON) sealed under the file key, AAD "phr/v1/metadata|<recordId>". */
  metadata: Base64Url;
  /** Sealed blob: the file key under the account key, AAD "phr/v1/file-key|<recordId>|<ownerId>". */
  ownerWrap: Base64Url;
  /** A wrap for each doctor whose active consent covers the folder (or everything). */
  doctorWraps?: CommitDoctorWrap[];
  /** A wrap for each trusted contact whose scope takes the record in (presign's coveringContacts), for the contact's key. */
  contactWraps?: CommitContactWrap[];
  /** When break-glass reaches where the record goes: RSA-OAEP(emergencyPublicKey, fileKey), label "phr/v1/emergency-wrap|<recordId>|<patientId>|<emergencyFingerprint>". */
  emergencyWrap?: Base64Url;
  /** The generation of the account key that sealed ownerWrap (MyKeys.keyGeneration, or the rotation's while one is under way); absent means the generation in force. */
  keyGeneration?: number;
}

export interface RecordSummary {
  id: Uuid;
  ownerId: Uuid;
  folderId: Uuid | null;
  size: number;
  chunkBytes: number;
  createdAt: IsoDateTime;
  metadata: Base64Url;
  /** The caller's wrap of the file key. */
  wrap: Base64Url;
  /** When the owner moved the record to the trash (their own trash listing only); null for a record in use. */
  trashedAt: IsoDateTime | null;
}

/** Which of the owner's records a listing shows: those in use (the default) or those in the trash. */
export const RECORD_LIST_VIEWS = ['active', 'trash'] as const;
export type RecordListView = (typeof RECORD_LIST_VIEWS)[number];

/** Days a record stays in the trash, restorable, before its ciphertext is deleted (docs/protocol.md "Trash"). */
export const TRASH_RETENTION_DAYS = 30;

/** At most this many ids in one look-up of records by id (GET /records?ids=). */
export const RECORD_LOOKUP_MAX_IDS = 100;

/** GET /records?folderId=&view=&ownerId=&ids=&cursor=&limit= */
export interface ListRecordsQuery {
  folderId?: Uuid;
  /**
   * Only these records (comma-separated ids, at most RECORD_LOOKUP_MAX_IDS): those of them the
   * caller can list, in listing order. The portal names the records on a page this way.
   */
  ids?: string;
  /** The owner's trash (`trash`) or the records in use (`active`, the default); a doctor never sees the trash. */
  view?: RecordListView;
  /** A doctor's view of one patient's shared records. */
  ownerId?: Uuid;
  cursor?: string;
  limit?: number;
}
export interface RecordPage {
  items: RecordSummary[];
  nextCursor: string | null;
}

/** GET /records/:id: the record, the caller's wrap and short-lived GET URLs (about a minute). */
export interface RecordDetail extends RecordSummary {
  segments: SegmentUrl[];
  expiresAt: IsoDateTime;
}

/**
 * PUT /records/:id/metadata: the record metadata document re-sealed in the browser under the
 * same file key (a new IV; AAD "phr/v1/metadata|<recordId>"): rename, category, date, notes.
 * The server never sees the fields.
 */
export interface UpdateRecordMetadataRequest {
  metadata: Base64Url;
}

/**
 * PUT /records/:id/folder: move a record into another folder of the owner's, or out of every
 * folder (null). The doctors whose consent in force covers the record in its new place and who
 * hold no wrap of it yet must be given one (the browser wraps, as at upload: DESIGN 5); the
 * server removes the wraps no consent in force covers after the move.
 */
export interface MoveRecordRequest {
  folderId: Uuid | null;
  doctorWraps?: CommitDoctorWrap[];
}

/** GET /records/:id/move-check?folderId=: the doctors a move into that folder (or none) would add a wrap for, and those who would lose it. */
export interface MoveRecordQuery {
  folderId?: Uuid;
}
export interface MoveRecordPreview {
  /** Doctors a consent in force covers the record for in the destination, who hold no wrap yet: the move must carry a wrap for each. */
  coveringDoctors: CoveringDoctor[];
  /** Doctors who read the record now and whose access ends with the move (their wraps are removed). */
  losingDoctors: Array<{ id: Uuid; displayName: string }>;
}

export interface Folder {
  id: Uuid;
  /** Folder name sealed under the owner's account key. */
  name: Base64Url;
  createdAt: IsoDateTime;
}

/** POST /folders, PATCH /folders/:id */
export interface FolderRequest {
  name: Base64Url;
  /** The generation of the account key that sealed the name (as CommitRecordRequest.keyGeneration). */
  keyGeneration?: number;
}
export interface FolderList {
  items: Folder[];
}
