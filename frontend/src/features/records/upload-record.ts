/**
 * One file's way into the store (DESIGN 5): reserve a record id; then, a few
 * segments at a time, the crypto worker encrypts each and PUTs it to its
 * pre-signed URL, retried on lost connections and with renewed URLs when they
 * expired; then commit the sealed metadata and the owner's wrap.
 */
import type { CoveringDoctor, PresignUploadResponse, RecordSummary } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import type { RecordsApi } from '../../api/records.js';
import type { RecordMetadata } from '../../crypto/record-keys.js';
import type { DoctorKey, SegmentEvent } from '../../crypto/record-vault.js';
import type { VaultHandle } from '../../crypto/vault.js';

export type UploadPhase = 'queued' | 'encrypting' | 'uploading' | 'saving' | 'done' | 'failed' | 'cancelled';

export interface UploadProgress {
  phase: UploadPhase;
  /** Ciphertext bytes sealed so far, and in all. */
  encryptedBytes: number;
  /** Ciphertext bytes the store has received so far. */
  uploadedBytes: number;
  totalBytes: number;
  /** While a failed PUT waits to be tried again: which attempt comes next, of how many. */
  retry?: { attempt: number; of: number };
}

export interface UploadRequest {
  file: File;
  ownerId: string;
  folderId?: string;
  /** Read when the record is sealed, after its bytes are stored: a category chosen meanwhile still counts. */
  metadata(): RecordMetadata;
  records: RecordsApi;
  vault: VaultHandle;
  /**
   * Proves a doctor's key in the key directory (and against the patient's
   * contact) before the record's file key is wrapped for it; answers the
   * proven key. DESIGN 4.5: no wrap for a key that failed.
   */
  proveDoctorKey(doctor: { id: string; name: string }, servedPublicKey: string): Promise<string>;
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
  let upload: PresignUploadResponse = await records.presign({ size: file.size, folderId: request.folderId });
  const recordId = upload.recordId;
  // Cancelling stops the worker's PUTs at once and forgets the file key.
  const stop = () => void vault.cancelRecord(recordId).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
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
      renewing ??= records.presign({ size: file.size, recordId, folderId: request.folderId }).finally(() => (renewing = null));
      return renewing;
    };

    const encryptedBySegment = new Map<number, number>();
    const track = (index: number) => (event: SegmentEvent) => {
      if (event.kind === 'encrypted') {
        encryptedBySegment.set(index, event.bytes);
        progress.encryptedBytes = [...encryptedBySegment.values()].reduce((sum, bytes) => sum + bytes, 0);
        progress.phase = 'uploading';
      } else sentBySegment.set(index, event.bytes);
      report();
    };

    /** Encrypts and PUTs one segment in the worker; renews expired URLs, retries lost connections. */
    const sendSegment = async (index: number): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        throwIfCancelled(signal);
        const target = upload.segments.find((segment) => segment.index === index);
        if (!target) throw new Error(`The API gave no URL for segment ${index}`);
        const { status } = await vault.uploadSegment(recordId, index, { url: target.url, headers: target.headers }, track(index));
        // 412: the store already holds this segment (an earlier attempt got through but its answer was lost).
        if ((status >= 200 && status < 300) || status === 412) {
          if (progress.retry) {
            progress.retry = undefined;
            report();
          }
          return;
        }
        sentBySegment.set(index, 0);
        const failure = new PutFailed(status);
        if (attempt >= attempts || (status !== 0 && status !== 403 && status < 500)) throw failure;
        // Said while it waits, so that a slow retry is never silence.
        progress.retry = { attempt: attempt + 1, of: attempts };
        report();
        if (status === 403) upload = await renew();
        else await delay(500 * 2 ** (attempt - 1), signal);
      }
    };

    // Segments go in order, a few at a time; the first failure stops the rest.
    const queue = layout.segments.map((segment) => segment.index);
    const sender = async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) await sendSegment(index);
    };
    const senders = Array.from({ length: Math.min(parallelism, queue.length) }, sender);
    await Promise.all(senders).catch((error: unknown) => {
      queue.length = 0;
      throw error;
    });
    throwIfCancelled(signal);

    progress.phase = 'saving';
    report();
    // Trusted contacts (docs/protocol.md "Trusted contacts") get the same recipient wrap as doctors, proven and compared the same way.
    const contacts = await provenDoctorKeys(request, upload.coveringContacts);
    const sealed = await vault.finishRecord(recordId, request.ownerId, request.metadata(), [...(await provenDoctorKeys(request, upload.coveringDoctors)), ...contacts], upload.emergencyKey);
    const contactIds = new Set(contacts.map((contact) => contact.id));
    const doctorWraps = sealed.doctorWraps.filter((wrap) => !contactIds.has(wrap.doctorId));
    const contactWraps = sealed.doctorWraps.filter((wrap) => contactIds.has(wrap.doctorId)).map((wrap) => ({ contactId: wrap.doctorId, wrap: wrap.wrap }));
    const body = { recordId, folderId: request.folderId, ...sealed, doctorWraps, ...(contactWraps.length > 0 ? { contactWraps } : {}) };
    const summary = await commitPatiently(() => records.commit(body), signal);
    progress.phase = 'done';
    report();
    return summary;
  } catch (error) {
    // The file key goes; the server sweeps the uncommitted upload and its objects.
    await vault.cancelRecord(recordId).catch(() => undefined);
    throw signal.aborted ? new UploadCancelled() : error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/**
 * DESIGN 5: doctors whose consent in force covers where the record goes get a
 * wrap at commit; the API refuses a commit without, and names them in the
 * presign answer (`coveringDoctors`, the rule is the server's). Each doctor's
 * key is proven in the key directory first (DESIGN 4.5): a doctor the server
 * names with a key the directory does not hold gets no wrap, the upload stops.
 */
async function provenDoctorKeys(request: UploadRequest, doctors: CoveringDoctor[]): Promise<DoctorKey[]> {
  return Promise.all(doctors.map(async (doctor) => ({ id: doctor.id, publicKey: await request.proveDoctorKey({ id: doctor.id, name: doctor.displayName }, doctor.publicKey) })));
}

/** Attempts at a commit the API answers 503 (database or store briefly unavailable); the sealed file is kept meanwhile. */
const COMMIT_ATTEMPTS = 6;
const MAX_COMMIT_WAIT_SECONDS = 30;

/**
 * Commits, and while the API answers 503 (nothing was saved; a dependency is
 * down for a moment) waits as its Retry-After says and tries again, instead of
 * throwing away a file that is already encrypted and stored.
 */
async function commitPatiently(commit: () => Promise<RecordSummary>, signal: AbortSignal): Promise<RecordSummary> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commit();
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 503 || attempt >= COMMIT_ATTEMPTS) throw error;
      await delay(Math.min(error.retryAfter ?? 2, MAX_COMMIT_WAIT_SECONDS) * 1000, signal);
    }
  }
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
