/**
 * A ZIP archive written as a stream of stored (uncompressed) entries with
 * fflate, gathered into a Blob: the browser keeps Blob data outside the
 * page's heap, so an archive of gigabytes never becomes one ArrayBuffer.
 * Records are mostly PDFs and images, already compressed.
 */
import { Zip, ZipPassThrough } from 'fflate';
import { BlobBuilder } from '../../crypto/record-stream.js';

/** fflate writes no ZIP64: sizes and offsets are 32-bit, so an archive must stay under 4 GiB. */
export const MAX_ARCHIVE_BYTES = 2 ** 32 - 1;
/** Bytes a stored entry adds around its data: local header, data descriptor, central directory entry. */
export const ENTRY_OVERHEAD_BYTES = 30 + 16 + 46;

export class ExportCancelled extends Error {
  constructor() {
    super('The export was cancelled');
    this.name = 'ExportCancelled';
  }
}

/** ZIP times are local and start in 1980. */
function zipTime(time: Date): Date {
  return time.getFullYear() < 1980 ? new Date(1980, 0, 1) : time;
}

export class ZipArchive {
  private readonly output = new BlobBuilder('application/zip');
  private readonly zip: Zip;
  private failure: Error | null = null;
  private isEnded = false;

  constructor() {
    this.zip = new Zip((error, data, isFinal) => {
      if (error) this.failure = error;
      else this.output.append(data);
      if (isFinal) this.isEnded = true;
    });
  }

  /** Streams a Blob into the archive under `path`; stops between chunks when `signal` aborts. */
  async addBlob(path: string, file: Blob, modified: Date, signal: AbortSignal): Promise<void> {
    const entry = this.openEntry(path, modified);
    const reader = file.stream().getReader();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        if (signal.aborted) throw new ExportCancelled();
        entry.push(read.value);
        this.throwIfFailed();
      }
      // Whether a read was the last is known only after it: an empty final chunk ends the entry.
      entry.push(new Uint8Array(0), true);
      this.throwIfFailed();
    } finally {
      reader.releaseLock();
    }
  }

  addText(path: string, text: string, modified: Date): void {
    this.openEntry(path, modified).push(new TextEncoder().encode(text), true);
    this.throwIfFailed();
  }

  /** Writes the central directory; the Blob is the whole archive. */
  finish(): Blob {
    this.zip.end();
    this.throwIfFailed();
    if (!this.isEnded) throw new Error('The archive did not finish');
    return this.output.finish();
  }

  private openEntry(path: string, modified: Date): ZipPassThrough {
    const entry = new ZipPassThrough(path);
    entry.mtime = zipTime(modified);
    this.zip.add(entry);
    this.throwIfFailed();
    return entry;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
