/**
 * The record stream (DESIGN 4.3): content sealed in chunks with AES-256-GCM
 * in the STREAM construction. Each chunk's nonce holds its index and a
 * last-chunk flag, and its authenticated data names the record and carries
 * the stream header, so reordering, dropping, truncating or appending chunks,
 * or moving them to another record, fails authentication.
 *
 *   stream  = header (16 bytes) ‖ chunk 0 ‖ … ‖ chunk n-1
 *   header  = "PHRS" ‖ version (1) ‖ 0 0 0 ‖ chunk size (u32 BE) ‖ 0 0 0 0
 *   chunk i = AES-GCM(fileKey, nonce = 0^7 ‖ i (u32 BE) ‖ last (1 byte), plaintext_i,
 *                     AAD = "phr/v1/record|<recordId>|" ‖ header)
 * The 7 zero bytes are safe because every record (and every version) has its own file key.
 */
import { PROTOCOL_VERSION, RECORD_HEADER_BYTES, RECORD_TAG_BYTES, type RecordLayout, type SegmentLayout } from '@phr/shared-types';
import { concatBytes, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';

const MAGIC = utf8('PHRS');
/** The reader refuses headers announcing chunks larger than this (a corrupt or hostile header). */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

export function streamHeader(chunkBytes: number): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(RECORD_HEADER_BYTES);
  header.set(MAGIC, 0);
  header[4] = PROTOCOL_VERSION;
  new DataView(header.buffer).setUint32(8, chunkBytes);
  return header;
}

export function parseStreamHeader(header: Uint8Array): { chunkBytes: number } {
  if (header.length < RECORD_HEADER_BYTES || MAGIC.some((byte, i) => header[i] !== byte)) {
    throw new CryptoError('RECORD_CORRUPT', 'This is not an encrypted record');
  }
  if (header[4] !== PROTOCOL_VERSION) throw new CryptoError('UNSUPPORTED_VERSION', `Unsupported record version ${header[4]}`);
  const chunkBytes = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(8);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new CryptoError('RECORD_CORRUPT', 'The record header is damaged');
  return { chunkBytes };
}

function chunkNonce(index: number, isLast: boolean): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(7, index);
  nonce[11] = isLast ? 1 : 0;
  return nonce;
}

function chunkAad(recordId: string, header: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes(utf8(`phr/v1/record|${recordId}|`), header);
}

export async function sealChunk(key: CryptoKey, aad: Uint8Array<ArrayBuffer>, index: number, isLast: boolean, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: chunkNonce(index, isLast), additionalData: aad }, key, plaintext));
}

async function openChunk(key: CryptoKey, aad: Uint8Array<ArrayBuffer>, index: number, isLast: boolean, ciphertext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: chunkNonce(index, isLast), additionalData: aad }, key, ciphertext));
  } catch {
    throw new CryptoError('RECORD_CORRUPT', 'The record failed its integrity check: it was changed, cut short or reordered');
  }
}

/**
 * Sealed bytes gathered before they become a Blob (which the browser keeps
 * outside the page's heap): this bounds what the worker holds, and is large
 * enough that making Blobs costs little (docs/benchmarks.md).
 */
const PIECE_BYTES = 8 * 1024 * 1024;

/** Grows a Blob from byte arrays: a Blob per 8 MiB of them, joined once at the end. */
export class BlobBuilder {
  private pieces: Blob[] = [];
  private parts: Uint8Array<ArrayBuffer>[] = [];
  private partBytes = 0;

  constructor(private readonly type = '') {}

  append(bytes: Uint8Array<ArrayBuffer>): void {
    this.parts.push(bytes);
    this.partBytes += bytes.byteLength;
    if (this.partBytes >= PIECE_BYTES) this.cut();
  }

  finish(): Blob {
    this.cut();
    return new Blob(this.pieces, { type: this.type });
  }

  private cut(): void {
    if (this.parts.length === 0) return;
    this.pieces.push(new Blob(this.parts));
    this.parts = [];
    this.partBytes = 0;
  }
}

/** Plaintext read from the file at a time: a whole number of chunks, a few megabytes (docs/benchmarks.md). */
const READ_BYTES = 4 * 1024 * 1024;
/** A read of the file's stream still pending after this long is taken as stalled (docs/benchmarks.md). */
const READ_STALL_MS = 5000;

/** A promise whose rejection is reported where it is awaited, not as unhandled if it fails before that. */
function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The promise's value, or `stalled` if it has not settled within `ms`. */
function unlessStalled<T>(promise: Promise<T>, ms: number): Promise<T | 'stalled'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), ms)));
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

/**
 * Reads a Blob from start to end in buffers of a fixed size, through a BYOB
 * reader of its stream: the bytes land in the caller's buffer, with no piece
 * allocated per read and no copy of ours, about three times the rate of the
 * default reader and four of `slice().arrayBuffer()` in Chromium. Chromium's
 * BYOB reads once stalled for good, now and then, on a file whose earlier
 * segments were being PUT (docs/benchmarks.md); a read still pending after
 * READ_STALL_MS abandons the stream, and that buffer and the rest are read
 * with `slice().arrayBuffer()`: slower, never stuck.
 */
class BlobBufferReader {
  private stream: ReadableStreamBYOBReader | null;
  /** Where the next buffer starts in the Blob. */
  private offset = 0;

  constructor(private readonly blob: Blob) {
    this.stream = blob.stream().getReader({ mode: 'byob' });
  }

  /** The next `byteLength` bytes (fewer only at the end of the Blob), in `buffer` or, after a stall, in one of their own. */
  async read(buffer: ArrayBuffer, byteLength: number): Promise<Uint8Array<ArrayBuffer>> {
    const start = this.offset;
    let bytes = this.stream ? await this.readStream(buffer, byteLength) : null;
    bytes ??= new Uint8Array(await this.blob.slice(start, start + byteLength).arrayBuffer());
    this.offset = start + bytes.byteLength;
    return bytes;
  }

  async cancel(): Promise<void> {
    await this.stream?.cancel().catch(() => undefined);
  }

  /** Null if a read stalled: the stream is then given up. */
  private async readStream(buffer: ArrayBuffer, byteLength: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const stream = this.stream as ReadableStreamBYOBReader;
    let filled = 0;
    while (filled < byteLength) {
      const read = await unlessStalled(stream.read(new Uint8Array(buffer, filled, byteLength - filled)), READ_STALL_MS);
      if (read === 'stalled') {
        this.stream = null;
        void stream.cancel().catch(() => undefined);
        return null;
      }
      // A BYOB read hands the buffer back (transferred) in `value`, even when the stream is done.
      if (read.value) buffer = read.value.buffer;
      if (read.done) break;
      filled += read.value.byteLength;
    }
    return new Uint8Array(buffer, 0, filled);
  }
}

/**
 * Buffers of a Blob read ahead: two take turns, so the next one is read while
 * this one's chunks are sealed.
 */
class ReadAhead {
  private readonly reader: BlobBufferReader;
  private spare: ArrayBuffer;
  private filling: Promise<Uint8Array<ArrayBuffer>>;

  constructor(blob: Blob, private readonly bufferBytes: number) {
    this.reader = new BlobBufferReader(blob);
    this.spare = new ArrayBuffer(bufferBytes);
    // eslint-disable-next-line sonarjs/no-async-constructor -- the first read starts at once on purpose (read-ahead); awaitedLater keeps its failure for the first next()
    this.filling = awaitedLater(this.reader.read(new ArrayBuffer(bufferBytes), bufferBytes));
  }

  /** The next buffer's bytes: full, or shorter only at the end of the Blob. Hand it back with `release`. */
  async next(): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = await this.filling;
    this.filling = awaitedLater(this.reader.read(this.spare, this.bufferBytes));
    return bytes;
  }

  /** The buffer `next` returned may be filled again (WebCrypto copies its input at the call). */
  release(bytes: Uint8Array<ArrayBuffer>): void {
    this.spare = bytes.buffer;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }
}

/**
 * Seals one segment of a file, read by read: the file is read in buffers of a
 * few megabytes through its stream, straight into two buffers that take turns
 * (the next one fills while this one's chunks are handed to WebCrypto, which
 * copies its input at the call, so the buffer is free again at once), and each
 * read's sealed chunks are yielded in order as they came out of WebCrypto,
 * ready to be parts of the PUT's body without another copy. A read's chunks
 * (16 of 256 KiB) are all handed to WebCrypto before the first is awaited:
 * Chromium seals inside each call, on the calling thread (docs/benchmarks.md),
 * and a browser that works off the thread gets a full queue. Memory: one
 * read's sealed chunks and two read buffers.
 */
async function* sealedReads(key: CryptoKey, recordId: string, file: Blob, layout: RecordLayout, segment: SegmentLayout, chunkBytes: number): AsyncGenerator<ArrayBuffer[]> {
  const header = streamHeader(chunkBytes);
  const aad = chunkAad(recordId, header);
  const start = segment.firstChunk * chunkBytes;
  // The plaintext the layout promised for this segment; a file that no longer has it changed.
  const end = start + segment.byteLength - segment.chunkCount * RECORD_TAG_BYTES - (segment.index === 0 ? RECORD_HEADER_BYTES : 0);
  const chunksPerRead = Math.max(1, Math.floor(READ_BYTES / chunkBytes));
  const reader = new ReadAhead(file.slice(start, end), chunksPerRead * chunkBytes);
  try {
    if (segment.index === 0) yield [header.buffer];
    for (let firstInRead = 0; firstInRead < segment.chunkCount; firstInRead += chunksPerRead) {
      const chunksInRead = Math.min(chunksPerRead, segment.chunkCount - firstInRead);
      const plaintext = await reader.next();
      if (plaintext.byteLength !== Math.min(chunksInRead * chunkBytes, end - start - firstInRead * chunkBytes)) throw new CryptoError('RECORD_CORRUPT', 'The file changed while it was being encrypted');
      const sealing: Promise<Uint8Array<ArrayBuffer>>[] = [];
      for (let offset = 0, inSegment = firstInRead; inSegment < firstInRead + chunksInRead; offset += chunkBytes, inSegment++) {
        const index = segment.firstChunk + inSegment;
        const chunk = plaintext.subarray(offset, Math.min(offset + chunkBytes, plaintext.byteLength));
        // An empty file still has one (empty) chunk, so its end is authenticated.
        sealing.push(awaitedLater(sealChunk(key, aad, index, index === layout.chunkCount - 1, chunk)));
      }
      reader.release(plaintext);
      yield (await Promise.all(sealing)).map((bytes) => bytes.buffer);
    }
  } finally {
    await reader.cancel();
  }
}

/** One segment's sealed chunks, in order, the header first in the first segment (the test vectors' and the bench's view of the stream). */
export async function sealSegment(key: CryptoKey, recordId: string, file: Blob, layout: RecordLayout, segment: SegmentLayout, chunkBytes: number): Promise<ArrayBuffer[]> {
  const sealed: ArrayBuffer[] = [];
  for await (const parts of sealedReads(key, recordId, file, layout, segment, chunkBytes)) sealed.push(...parts);
  return sealed;
}

/**
 * One sealed segment as a Blob, the PUT's body: each read's sealed chunks
 * become a Blob of their own as soon as they are out, so the browser takes
 * them over while the next read is sealed, and the segment's Blob joins them.
 */
export async function encryptSegment(key: CryptoKey, recordId: string, file: Blob, layout: RecordLayout, segment: SegmentLayout, chunkBytes: number): Promise<Blob> {
  const pieces: Blob[] = [];
  for await (const parts of sealedReads(key, recordId, file, layout, segment, chunkBytes)) pieces.push(new Blob(parts));
  return new Blob(pieces);
}

/**
 * Decrypts a record stream fed in pieces of any size, holding at most one
 * sealed chunk beyond what it has returned. A chunk is opened as "last" only
 * when the stream ends, so a stream cut at a chunk boundary fails too.
 */
export class RecordDecryptor {
  private buffered = new Uint8Array(0);
  private header: Uint8Array<ArrayBuffer> | null = null;
  private aad: Uint8Array<ArrayBuffer> | null = null;
  private sealedChunkBytes = 0;
  private nextIndex = 0;

  constructor(
    private readonly key: CryptoKey,
    private readonly recordId: string,
  ) {}

  /** Plaintext chunks that are complete and certainly not the last one. */
  async push(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>[]> {
    this.buffered = concatBytes(this.buffered, bytes);
    if (!this.header) {
      if (this.buffered.length < RECORD_HEADER_BYTES) return [];
      this.header = this.buffered.slice(0, RECORD_HEADER_BYTES);
      this.sealedChunkBytes = parseStreamHeader(this.header).chunkBytes + RECORD_TAG_BYTES;
      this.aad = chunkAad(this.recordId, this.header);
      this.buffered = this.buffered.slice(RECORD_HEADER_BYTES);
    }
    const out: Uint8Array<ArrayBuffer>[] = [];
    let offset = 0;
    while (this.buffered.length - offset > this.sealedChunkBytes) {
      const sealed = this.buffered.slice(offset, offset + this.sealedChunkBytes);
      out.push(await openChunk(this.key, this.aad as Uint8Array<ArrayBuffer>, this.nextIndex++, false, sealed));
      offset += this.sealedChunkBytes;
    }
    this.buffered = this.buffered.slice(offset);
    return out;
  }

  /** The last chunk; throws if the stream was cut short or extended. */
  async finish(): Promise<Uint8Array<ArrayBuffer>> {
    if (!this.header || this.buffered.length < RECORD_TAG_BYTES) {
      throw new CryptoError('RECORD_CORRUPT', 'The record is incomplete');
    }
    return openChunk(this.key, this.aad as Uint8Array<ArrayBuffer>, this.nextIndex++, true, this.buffered.slice());
  }
}
