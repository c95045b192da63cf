/**
 * SHA-256 (FIPS 180-4) fed piece by piece. WebCrypto's digest takes one
 * buffer, which for a record of gigabytes would mean holding all of it; the
 * export hashes each record's plaintext as its chunks come out of decryption.
 * The spec proves it equal to crypto.subtle.digest on random splits.
 */
import { toHex } from './encoding.js';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The initial hash value H(0) of FIPS 180-4 section 5.3.3. */
export const INITIAL_STATE = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const BLOCK_BYTES = 64;

export class Sha256 {
  private readonly state = new Uint32Array(INITIAL_STATE);
  private readonly block = new Uint8Array(BLOCK_BYTES);
  private readonly words = new Int32Array(64);
  private blockBytes = 0;
  private totalBytes = 0;
  private isFinished = false;

  update(bytes: Uint8Array): this {
    if (this.isFinished) throw new Error('SHA-256 already finished');
    this.totalBytes += bytes.length;
    this.absorb(bytes);
    return this;
  }

  /** The digest as lowercase hex; the hash takes no more input after this. */
  digestHex(): string {
    if (this.isFinished) throw new Error('SHA-256 already finished');
    this.isFinished = true;
    const bitLength = this.totalBytes * 8;
    const padding = new Uint8Array((this.blockBytes < 56 ? 56 : 120) - this.blockBytes + 8);
    padding[0] = 0x80;
    const lengthField = new DataView(padding.buffer, padding.length - 8);
    lengthField.setUint32(0, Math.floor(bitLength / 2 ** 32));
    lengthField.setUint32(4, bitLength >>> 0);
    this.absorb(padding);
    const digest = new Uint8Array(32);
    const view = new DataView(digest.buffer);
    this.state.forEach((word, i) => view.setUint32(i * 4, word));
    return toHex(digest);
  }

  private absorb(bytes: Uint8Array): void {
    let offset = 0;
    if (this.blockBytes > 0) {
      const taken = Math.min(BLOCK_BYTES - this.blockBytes, bytes.length);
      this.block.set(bytes.subarray(0, taken), this.blockBytes);
      this.blockBytes += taken;
      offset = taken;
      if (this.blockBytes < BLOCK_BYTES) return;
      this.compress(this.block, 0);
      this.blockBytes = 0;
    }
    for (; offset + BLOCK_BYTES <= bytes.length; offset += BLOCK_BYTES) this.compress(bytes, offset);
    this.block.set(bytes.subarray(offset), 0);
    this.blockBytes = bytes.length - offset;
  }

  private compress(bytes: Uint8Array, offset: number): void {
    compressBlock(this.state, bytes, offset, this.words);
  }
}

/**
 * One SHA-256 compression: the 64-byte block at `offset` folded into `state`.
 * `words` is scratch space of 64 entries, passed in so that a hot loop
 * allocates nothing (proof-of-work.ts calls this millions of times).
 */
export function compressBlock(state: Uint32Array, bytes: Uint8Array, offset: number, words: Int32Array): void {
  const w = words;
  for (let i = 0; i < 16; i++) {
    const at = offset + i * 4;
    w[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  const s = state;
  let a = s[0] | 0;
  let b = s[1] | 0;
  let c = s[2] | 0;
  let d = s[3] | 0;
  let e = s[4] | 0;
  let f = s[5] | 0;
  let g = s[6] | 0;
  let h = s[7] | 0;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
  s[4] += e;
  s[5] += f;
  s[6] += g;
  s[7] += h;
}

/** hex(SHA-256(utf8(text))) with WebCrypto, for short texts such as audit rows. */
export async function sha256HexOfText(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}
