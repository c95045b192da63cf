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

/** Plaintext read from the file per step; the chunks in it are sealed concurrently. */
const READ_BYTES = 8 * 1024 * 1024;

/**
 * Reads a Blob through its stream into one reused buffer, handing out pieces
 * of `size` bytes (the last may be shorter): as fast here as the best
 * slice().arrayBuffer() size and with a single buffer (docs/benchmarks.md).
 * Not the BYOB reader: in Chromium 156 a second BYOB stream of the same file
 * stalls after a few megabytes, so the default reader's pieces are copied.
 */
async function* readInPieces(blob: Blob, size: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  const reader = blob.stream().getReader();
  const buffer = new Uint8Array(Math.min(size, Math.max(1, blob.size)));
  let filled = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    let bytes: Uint8Array = read.value;
    while (bytes.byteLength > 0) {
      const take = Math.min(bytes.byteLength, buffer.byteLength - filled);
      buffer.set(bytes.subarray(0, take), filled);
      filled += take;
      bytes = bytes.subarray(take);
      if (filled === buffer.byteLength) {
        yield buffer;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

/**
 * Encrypts one segment of a file: reads it a few megabytes at a time, seals
 * those chunks concurrently (WebCrypto copies its input at the call and works
 * off the calling thread, so the read buffer is reused at once), and returns
 * the sealed segment as a Blob. Memory stays at about two reads' worth.
 */
export async function encryptSegment(key: CryptoKey, recordId: string, file: Blob, layout: RecordLayout, segment: SegmentLayout, chunkBytes: number): Promise<Blob> {
  const header = streamHeader(chunkBytes);
  const aad = chunkAad(recordId, header);
  const sealed = new BlobBuilder();
  if (segment.index === 0) sealed.append(header);
  const start = segment.firstChunk * chunkBytes;
  const plaintext = file.slice(start, Math.min(start + segment.chunkCount * chunkBytes, file.size));
  let index = segment.firstChunk;
  const sealOne = (bytes: Uint8Array<ArrayBuffer>) => {
    const sealing = sealChunk(key, aad, index, index === layout.chunkCount - 1, bytes);
    index++;
    return sealing;
  };
  let pending: Promise<Uint8Array<ArrayBuffer>[]> = Promise.resolve([]);
  for await (const piece of readInPieces(plaintext, Math.max(chunkBytes, READ_BYTES - (READ_BYTES % chunkBytes)))) {
    const sealing: Promise<Uint8Array<ArrayBuffer>>[] = [];
    for (let offset = 0; offset < piece.byteLength; offset += chunkBytes) sealing.push(sealOne(piece.subarray(offset, offset + chunkBytes)));
    for (const chunk of await pending) sealed.append(chunk);
    pending = Promise.all(sealing);
  }
  for (const chunk of await pending) sealed.append(chunk);
  // An empty file still has one (empty) chunk, so its end is authenticated.
  if (index === segment.firstChunk && segment.chunkCount === 1) sealed.append(await sealOne(new Uint8Array(0)));
  if (index !== segment.firstChunk + segment.chunkCount) throw new CryptoError('RECORD_CORRUPT', 'The file changed while it was being encrypted');
  return sealed.finish();
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
