/**
 * The patient's data export (GDPR Art. 15 and 20), built in the browser:
 * every record is downloaded and decrypted in the crypto worker, as opening
 * one does, and streamed into a ZIP under its original name; manifest.json
 * lists the records with their metadata and SHA-256, the consents, and the
 * whole audit trail with the result of verifying its chain here. The server
 * only serves what it always serves; nothing decrypted goes back to it.
 */
import {
  EXPORT_MANIFEST_FORMAT,
  EXPORT_MANIFEST_PATH,
  EXPORT_MANIFEST_VERSION,
  type ExportedRecordMetadata,
  type ExportManifest,
  type FailedRecord,
  type Me,
  type RecordSummary,
} from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import type { AuditApi } from '../../api/audit.js';
import { allConsents, type ConsentsApi } from '../../api/consents.js';
import type { FoldersApi } from '../../api/folders.js';
import type { RecordsApi } from '../../api/records.js';
import { VaultError, type VaultHandle } from '../../crypto/vault.js';
import { fetchVerifiedTrail } from '../audit/own-chain.js';
import { openRecord } from '../records/open-record.js';
import { allRecordsIn } from '../records/useRecordQueries.js';
import { safeSegment, UniqueNames } from './archive-names.js';
import { ENTRY_OVERHEAD_BYTES, ExportCancelled, MAX_ARCHIVE_BYTES, ZipArchive } from './zip-archive.js';

export interface ExportProgress {
  phase: 'listing' | 'records' | 'audit' | 'archive';
  /** Records finished (exported or failed) of `total`. */
  done: number;
  total: number;
}

export interface ExportResult {
  archive: Blob;
  fileName: string;
  manifest: ExportManifest;
  failed: FailedRecord[];
}

export interface ExportContext {
  user: Me;
  records: RecordsApi;
  folders: FoldersApi;
  consents: ConsentsApi;
  audit: AuditApi;
  vault: VaultHandle;
}

export class ExportTooLarge extends Error {
  constructor(bytes: number) {
    super(
      `Your records take ${(bytes / 1024 ** 3).toFixed(1)} GiB, and one archive holds at most 4 GiB. Download the largest records one by one from the records page.`,
    );
    this.name = 'ExportTooLarge';
  }
}

/** Room kept for manifest.json and the folder entries beside the records. */
const MANIFEST_RESERVE_BYTES = 64 * 1024 * 1024;

const RECORDS_DIR = 'records';

/** Resolves with `work`, or rejects at once when the signal aborts (the worker finishes the record and it is dropped). */
function unlessCancelled<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ExportCancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ExportCancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Archive paths: one directory per folder (names made safe and unique), files unique within each directory. */
class ArchiveLayout {
  private readonly topLevel = new UniqueNames();
  private readonly directories = new Map<string | null, { path: string; names: UniqueNames }>();

  constructor(folders: Array<{ id: string; name: string }>) {
    this.directories.set(null, { path: RECORDS_DIR, names: this.topLevel });
    for (const folder of folders) {
      const directory = this.topLevel.claim(safeSegment(folder.name, 'folder'));
      this.directories.set(folder.id, { path: `${RECORDS_DIR}/${directory}`, names: new UniqueNames() });
    }
  }

  pathFor(folderId: string | null, fileName: string): string {
    const directory = this.directories.get(folderId) ?? this.directories.get(null);
    if (!directory) throw new Error('The archive has no records directory');
    return `${directory.path}/${directory.names.claim(safeSegment(fileName, 'record'))}`;
  }
}

function metadataFields(metadata: ExportedRecordMetadata): ExportedRecordMetadata {
  const { fileName, mimeType, title, date, category, notes } = metadata;
  return { fileName, mimeType, title, date, category, notes };
}

async function metadataOf(context: ExportContext, summary: RecordSummary): Promise<ExportedRecordMetadata | null> {
  const [opened] = await context.vault.openRecordMetadata([summary], context.user.id).catch(() => []);
  return opened && 'metadata' in opened ? metadataFields(opened.metadata) : null;
}

/** A cancel, a locked vault or an ended session stops the export; anything else fails only the one record. */
function endsTheExport(error: unknown): boolean {
  return error instanceof ExportCancelled || (error instanceof VaultError && error.code === 'LOCKED') || (error instanceof ApiError && error.status === 401);
}

function exportFileName(now: Date): string {
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return `health-records-export-${day}.zip`;
}

export async function buildExport(context: ExportContext, onProgress: (progress: ExportProgress) => void, signal: AbortSignal): Promise<ExportResult> {
  const { user, records, folders: foldersApi, consents: consentsApi, audit, vault } = context;
  onProgress({ phase: 'listing', done: 0, total: 0 });
  const summaries = await unlessCancelled(allRecordsIn(records, undefined), signal);
  const archiveBytes = summaries.reduce((sum, record) => sum + record.size + ENTRY_OVERHEAD_BYTES + 2 * 1024, MANIFEST_RESERVE_BYTES);
  if (archiveBytes > MAX_ARCHIVE_BYTES) throw new ExportTooLarge(archiveBytes);
  const folders = await unlessCancelled(
    foldersApi.list().then((list) => vault.openFolderNames(user.id, list.items)),
    signal,
  );
  const folderNames = new Map(folders.map((folder) => [folder.id, folder.name]));
  const consents = await unlessCancelled(allConsents(consentsApi, undefined), signal);

  const layout = new ArchiveLayout(folders);
  const archive = new ZipArchive();
  const exported: ExportManifest['records'] = [];
  const total = summaries.length;
  for (const [index, summary] of summaries.entries()) {
    onProgress({ phase: 'records', done: index, total });
    const base = { id: summary.id, folderId: summary.folderId, folder: summary.folderId ? (folderNames.get(summary.folderId) ?? null) : null, size: summary.size, createdAt: summary.createdAt };
    let opened;
    try {
      opened = await unlessCancelled(openRecord(records, vault, summary.id, user.id, { withDigest: true }), signal);
      if (opened.sha256 === undefined) throw new Error('The crypto worker returned no digest');
    } catch (error) {
      if (endsTheExport(error)) throw error;
      exported.push({ ...base, status: 'failed', error: describeError(error), metadata: await metadataOf(context, summary) });
      continue;
    }
    const path = layout.pathFor(summary.folderId, opened.metadata.fileName);
    await archive.addBlob(path, opened.file, new Date(summary.createdAt), signal);
    exported.push({ ...base, status: 'exported', path, ...metadataFields(opened.metadata), sha256: opened.sha256 });
  }
  onProgress({ phase: 'audit', done: total, total });

  // Last, so the trail includes the reads this export made.
  const trail = await unlessCancelled(fetchVerifiedTrail(audit, user.id), signal);
  const now = new Date();
  const manifest: ExportManifest = {
    format: EXPORT_MANIFEST_FORMAT,
    version: EXPORT_MANIFEST_VERSION,
    exportedAt: now.toISOString(),
    account: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
    records: exported,
    consents,
    audit: { head: trail.head, events: trail.events, isChainVerified: trail.firstBrokenSeq === null, firstBrokenSeq: trail.firstBrokenSeq },
  };
  onProgress({ phase: 'archive', done: total, total });
  archive.addText(EXPORT_MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`, now);
  return {
    archive: archive.finish(),
    fileName: exportFileName(now),
    manifest,
    failed: exported.filter((record): record is FailedRecord => record.status === 'failed'),
  };
}
