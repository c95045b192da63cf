import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { RECORD_HEADER_BYTES, RECORD_TAG_BYTES, recordLayout } from '@phr/shared-types';
import { concatBytes } from './encoding.js';
import { CryptoError } from './errors.js';
import { encryptSegment, RecordDecryptor } from './record-stream.js';
import { newFileKey } from './record-keys.js';

/** Small chunks and segments, so the properties cover many chunks and several segments quickly. */
const CHUNK = 64;
const PER_SEGMENT = 3;
const RECORD_ID = '5b4c3f0e-6c1d-4f3e-9a2b-1c0d9e8f7a6b';

async function encrypt(key: CryptoKey, plaintext: Uint8Array, recordId = RECORD_ID): Promise<Uint8Array<ArrayBuffer>> {
  const file = new Blob([plaintext.slice()]);
  const layout = recordLayout(plaintext.length, CHUNK, PER_SEGMENT);
  const segments: Uint8Array<ArrayBuffer>[] = [];
  for (const segment of layout.segments) {
    const blob = await encryptSegment(key, recordId, file, layout, segment, CHUNK);
    expect(blob.size).toBe(segment.byteLength);
    segments.push(new Uint8Array(await blob.arrayBuffer()));
  }
  return concatBytes(...segments);
}

/** Feeds the stream in pieces of the given sizes, as a network would. */
async function decrypt(key: CryptoKey, stream: Uint8Array, pieceSizes: number[] = [1000], recordId = RECORD_ID): Promise<Uint8Array<ArrayBuffer>> {
  const decryptor = new RecordDecryptor(key, recordId);
  const out: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  // eslint-disable-next-line sonarjs/misplaced-loop-counter -- `i` picks the next piece size in turn; the loop ends when the stream is consumed
  for (let i = 0; offset < stream.length; i++) {
    const size = Math.max(1, pieceSizes[i % pieceSizes.length]);
    out.push(...(await decryptor.push(stream.subarray(offset, offset + size))));
    offset += size;
  }
  out.push(await decryptor.finish());
  return concatBytes(...out);
}

/**
 * A Blob whose stream gives its first bytes and then never answers again, as Chromium's BYOB
 * reads once did (docs/benchmarks.md); its slices behave the same, and read whole they work.
 */
class StallingBlob extends Blob {
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const head = Blob.prototype.slice.call(this, 0, 100);
    return new ReadableStream({
      type: 'bytes',
      start: async (controller) => controller.enqueue(new Uint8Array(await head.arrayBuffer())),
      pull: () => new Promise<void>(() => undefined),
    });
  }

  override slice(start?: number, end?: number, type?: string): Blob {
    return new StallingBlob([Blob.prototype.slice.call(this, start, end, type)]);
  }
}

const sealedChunk = CHUNK + RECORD_TAG_BYTES;
/** The byte range of sealed chunk i inside the whole stream. */
const chunkRange = (i: number) => [RECORD_HEADER_BYTES + i * sealedChunk, RECORD_HEADER_BYTES + (i + 1) * sealedChunk] as const;

describe('the record stream (STREAM construction, DESIGN 4.3)', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * PER_SEGMENT, CHUNK * PER_SEGMENT + 1, CHUNK * 10 + 7])(
    'round-trips %i bytes, with the size the layout promised',
    async (size) => {
      const { key } = await newFileKey();
      const plaintext = crypto.getRandomValues(new Uint8Array(size));
      const stream = await encrypt(key, plaintext);
      expect(stream).toHaveLength(recordLayout(size, CHUNK, PER_SEGMENT).ciphertextBytes);
      expect(await decrypt(key, stream)).toEqual(plaintext);
    },
  );

  it('round-trips segments of many reads with more chunks than are sealed at once, each segment as the layout promised', async () => {
    const { key } = await newFileKey();
    const chunkBytes = 256 * 1024;
    const plaintext = randomBytes(50 * chunkBytes + 7);
    const file = new Blob([plaintext]);
    const layout = recordLayout(plaintext.length, chunkBytes, 40);
    const segments: Uint8Array<ArrayBuffer>[] = [];
    for (const segment of layout.segments) {
      const blob = await encryptSegment(key, RECORD_ID, file, layout, segment, chunkBytes);
      expect(blob.size).toBe(segment.byteLength);
      segments.push(new Uint8Array(await blob.arrayBuffer()));
    }
    // Buffer's equals: Jest's deep equality walks 12 MiB one element at a time.
    expect(Buffer.from(await decrypt(key, concatBytes(...segments), [chunkBytes * 3 + 5])).equals(plaintext)).toBe(true);
  });

  it('finishes a segment through slice() reads, with the same ciphertext, when its stream stops answering part way', async () => {
    const { key } = await newFileKey();
    const plaintext = crypto.getRandomValues(new Uint8Array(CHUNK * 10 + 7));
    const layout = recordLayout(plaintext.length, CHUNK, PER_SEGMENT);
    for (const segment of [layout.segments[0], layout.segments[2]]) {
      const expected = await encryptSegment(key, RECORD_ID, new Blob([plaintext]), layout, segment, CHUNK);
      // The stream gives 100 of the segment's bytes, then nothing: without the fallback this never ends.
      const stalled = await encryptSegment(key, RECORD_ID, new StallingBlob([plaintext]), layout, segment, CHUNK);
      expect(Buffer.from(await stalled.arrayBuffer()).equals(Buffer.from(await expected.arrayBuffer()))).toBe(true);
    }
  }, 60_000);

  it('refuses a file shorter than the layout it was begun with (it changed while being encrypted)', async () => {
    const { key } = await newFileKey();
    const layout = recordLayout(CHUNK * 2 + 1, CHUNK, PER_SEGMENT);
    const shorter = new Blob([new Uint8Array(CHUNK + 1)]);
    await expect(encryptSegment(key, RECORD_ID, shorter, layout, layout.segments[0], CHUNK)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
  });

  it('round-trips any content fed in pieces of any size', async () => {
    const { key } = await newFileKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: CHUNK * 9 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 }), async (plaintext, pieces) => {
        expect(await decrypt(key, await encrypt(key, plaintext), pieces)).toEqual(plaintext);
      }),
      { numRuns: 40 },
    );
  });

  it('rejects any flipped bit', async () => {
    const { key } = await newFileKey();
    const stream = await encrypt(key, crypto.getRandomValues(new Uint8Array(CHUNK * 4 + 5)));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: stream.length * 8 - 1 }), async (bit) => {
        const tampered = stream.slice();
        tampered[bit >> 3] ^= 1 << (bit & 7);
        await expect(decrypt(key, tampered)).rejects.toBeInstanceOf(CryptoError);
      }),
      { numRuns: 120 },
    );
  });

  it('rejects two chunks swapped', async () => {
    const { key } = await newFileKey();
    const stream = await encrypt(key, crypto.getRandomValues(new Uint8Array(CHUNK * 4)));
    const [a0, a1] = chunkRange(1);
    const [b0, b1] = chunkRange(2);
    const swapped = concatBytes(stream.subarray(0, a0), stream.subarray(b0, b1), stream.subarray(a1, b0), stream.subarray(a0, a1), stream.subarray(b1));
    await expect(decrypt(key, swapped)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
  });

  it('rejects a missing chunk, in the middle or at the end', async () => {
    const { key } = await newFileKey();
    const stream = await encrypt(key, crypto.getRandomValues(new Uint8Array(CHUNK * 4 + 9)));
    const [m0, m1] = chunkRange(1);
    await expect(decrypt(key, concatBytes(stream.subarray(0, m0), stream.subarray(m1)))).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    // Cut exactly at a chunk boundary: every remaining chunk is intact, but none says "last".
    await expect(decrypt(key, stream.subarray(0, chunkRange(3)[1]))).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
  });

  it('rejects truncation at any byte and any appended bytes', async () => {
    const { key } = await newFileKey();
    const stream = await encrypt(key, crypto.getRandomValues(new Uint8Array(CHUNK * 3 + 1)));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: stream.length - 1 }), async (length) => {
        await expect(decrypt(key, stream.subarray(0, length))).rejects.toBeInstanceOf(CryptoError);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: CHUNK * 2 }), async (extra) => {
        await expect(decrypt(key, concatBytes(stream, extra))).rejects.toBeInstanceOf(CryptoError);
      }),
      { numRuns: 30 },
    );
  });

  it('rejects a stream moved to another record id, or opened with another key', async () => {
    const [{ key }, other] = await Promise.all([newFileKey(), newFileKey()]);
    const stream = await encrypt(key, crypto.getRandomValues(new Uint8Array(100)));
    await expect(decrypt(key, stream, [1000], '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    await expect(decrypt(other.key, stream)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
  });

  it('refuses an unknown version in the header', async () => {
    const { key } = await newFileKey();
    const stream = await encrypt(key, new Uint8Array(10));
    stream[4] = 2;
    await expect(decrypt(key, stream)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
  });
});
