/**
 * The patient's data export (GDPR Art. 15 and 20): an archive the portal
 * builds in the browser, with every record decrypted under `records/` and
 * this manifest as `manifest.json`. The server never sees the archive.
 */
import type { AuditEvent, AuditHead } from './audit.js';
import type { IsoDateTime, Role, Uuid } from './common.js';
import type { Consent } from './consents.js';
import type { RecordMetadata } from './records.js';

export const EXPORT_MANIFEST_FORMAT = 'phr-export';
export const EXPORT_MANIFEST_VERSION = 1;
/** Where the manifest sits in the archive. */
export const EXPORT_MANIFEST_PATH = 'manifest.json';

interface ExportedRecordBase {
  id: Uuid;
  folderId: Uuid | null;
  /** The folder's name as the patient gave it, or null for records outside folders. */
  folder: string | null;
  /** Plaintext bytes, as the server stores the size. */
  size: number;
  createdAt: IsoDateTime;
}

/** A record's sealed metadata, opened in the browser (the category as its code). */
export type ExportedRecordMetadata = RecordMetadata;

export interface ExportedRecord extends ExportedRecordBase, ExportedRecordMetadata {
  status: 'exported';
  /** The file's path in the archive: `records/[folder/]name`, made safe and unique. */
  path: string;
  /** hex(SHA-256(plaintext)), computed while decrypting. */
  sha256: string;
}

/** A record that could not be decrypted or downloaded: listed, not in the archive. */
export interface FailedRecord extends ExportedRecordBase {
  status: 'failed';
  error: string;
  /** What of the metadata could be opened, if anything. */
  metadata: ExportedRecordMetadata | null;
}

export interface ExportManifest {
  format: typeof EXPORT_MANIFEST_FORMAT;
  version: typeof EXPORT_MANIFEST_VERSION;
  exportedAt: IsoDateTime;
  account: { id: Uuid; email: string; displayName: string; role: Role };
  records: Array<ExportedRecord | FailedRecord>;
  consents: Consent[];
  audit: {
    /** The chain head fetched before the rows; rows written after it only extend the chain. */
    head: AuditHead;
    /** The whole trail as GET /audit returned it, in chain order (seq 1, 2, …). */
    events: AuditEvent[];
    /** The browser recomputed every hash and found the chain unbroken up to the head. */
    isChainVerified: boolean;
    /** The seq of the first row that does not hold, or null. */
    firstBrokenSeq: number | null;
  };
}
