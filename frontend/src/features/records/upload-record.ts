/**
 * One file's way into the store (DESIGN 5): reserve a record id, encrypt
 * segment after segment in the crypto worker, PUT each sealed segment to its
 * pre-signed URL with bounded parallelism and retries (renewing the URLs when
 * they expired), then commit the sealed metadata and the owner's wrap.
 */
import type { PresignUploadResponse, RecordSummary } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import type { RecordsApi } from '../../api/records.js';
import type { RecordMetadata } from '../../crypto/record-keys.js';
import type { VaultHandle } from '../../crypto/vault.js';

export type UploadPhase = 'queued' | 'encrypting' | 'uploading' | 'saving' | 'done' | 'failed' | 'cancelled';

export interface UploadProgress {
  phase: UploadPhase;
  /** Ciphertext bytes sealed so far, and in all. */
  encryptedBytes: number;
  /** Ciphertext bytes the store has received so far. */
  uploadedBytes: number;
  totalBytes: number;
}

export interface UploadRequest {
  file: File;
  ownerId: string;
  folderId?: string;
  metadata: RecordMetadata;
  records: RecordsApi;
  vault: VaultHandle;
  signal: AbortSignal;
  onProgress(progress: UploadProgress): void;
  /** Segment PUTs in flight at once. */
  parallelism?: number;
  /** Attempts per segment before the upload fails. */
  attempts?: number;
}

export class UploadCancelled extends Error {
  constructor() {
    super('Upload cancelled');
    this.name = 'UploadCancelled';
  }
}

/** What the store answered to a PUT; 403 means the URL expired (or was refused). */
class PutFailed extends Error {
  constructor(readonly status: number) {
    super(status === 0 ? 'The connection to the storage service failed' : `The storage service refused the upload (${status})`);
  }
}

export async function uploadRecord(request: UploadRequest): Promise<RecordSummary> {
  const { file, records, vault, signal } = request;
  const parallelism = request.parallelism ?? 3;
  const attempts = request.attempts ?? 4;
  throwIfCancelled(signal);
  let upload: PresignUploadResponse = await records.presign({ size: file.size });
  const recordId = upload.recordId;
  try {
    const layout = await vault.beginRecord(recordId, file, upload.chunkBytes);
    const progress: UploadProgress = { phase: 'encrypting', encryptedBytes: 0, uploadedBytes: 0, totalBytes: layout.ciphertextBytes };
    const sentBySegment = new Map<number, number>();
    const report = () => {
      progress.uploadedBytes = [...sentBySegment.values()].reduce((sum, bytes) => sum + bytes, 0);
      request.onProgress({ ...progress });
    };
    report();

    // One renewal at a time, shared by every segment whose URL expired.
    let renewing: Promise<PresignUploadResponse> | null = null;
    const renew = () => {
      renewing ??= records.presign({ size: file.size, recordId }).finally(() => (renewing = null));
      return renewing;
    };

    const putWithRetries = async (index: number, body: Blob): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        throwIfCancelled(signal);
        const url = upload.segments.find((segment) => segment.index === index)?.url;
        if (!url) throw new Error(`The API gave no URL for segment ${index}`);
        try {
          await put(url, body, signal, (sent) => {
            sentBySegment.set(index, sent);
            report();
          });
          sentBySegment.set(index, body.size);
          report();
          return;
        } catch (error) {
          if (!(error instanceof PutFailed) || attempt >= attempts) throw error;
          sentBySegment.set(index, 0);
          if (error.status === 403) upload = await renew();
          else if (error.status !== 0 && error.status < 500) throw error;
          else await delay(500 * 2 ** (attempt - 1), signal);
        }
      }
    };

    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    for (const segment of layout.segments) {
      while (inFlight.size >= parallelism) await Promise.race(inFlight);
      if (failure) break;
      throwIfCancelled(signal);
      progress.phase = 'encrypting';
      report();
      const sealed = await vault.encryptSegment(recordId, segment.index);
      progress.encryptedBytes += sealed.size;
      progress.phase = 'uploading';
      report();
      const sending: Promise<void> = putWithRetries(segment.index, sealed)
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    throwIfCancelled(signal);

    progress.phase = 'saving';
    report();
    const sealed = await vault.finishRecord(recordId, request.ownerId, request.metadata);
    const summary = await records.commit({ recordId, folderId: request.folderId, ...sealed });
    progress.phase = 'done';
    report();
    return summary;
  } catch (error) {
    // The file key goes; the server sweeps the uncommitted upload and its objects.
    await vault.cancelRecord(recordId).catch(() => undefined);
    throw signal.aborted ? new UploadCancelled() : error;
  }
}

/** PUT with upload progress (fetch has none for request bodies). */
function put(url: string, body: Blob, signal: AbortSignal, onSent: (bytes: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.open('PUT', url);
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onload = () => {
      signal.removeEventListener('abort', abort);
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new PutFailed(xhr.status));
    };
    xhr.onerror = () => {
      signal.removeEventListener('abort', abort);
      reject(new PutFailed(0));
    };
    xhr.onabort = () => reject(new UploadCancelled());
    xhr.send(body);
  });
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new UploadCancelled();
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new UploadCancelled());
    });
  });
}

/** What to tell the patient about a failed upload. */
export function describeUploadError(error: unknown): string {
  if (error instanceof UploadCancelled) return 'Cancelled';
  if (error instanceof PutFailed) return `${error.message}. Try again.`;
  return describeError(error);
}
