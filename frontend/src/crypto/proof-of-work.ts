/**
 * The proof of work a sign-in or recovery owes after repeated failures on the
 * account (docs/protocol.md "Proof of work"): the first nonce n = 0, 1, 2, …
 * in decimal such that SHA-256(ASCII(challenge) ‖ ":" ‖ ASCII(n)) starts with
 * `difficulty` zero bits (at most 32).
 *
 * WebCrypto's digest is one asynchronous call per input, far too slow for
 * millions of short ones, so the search hashes in place with the compression
 * function of the incremental SHA-256 (sha256.ts): the prefix's whole blocks
 * are hashed once, and each candidate costs one compression (two when the
 * nonce pushes the padding into a second block).
 */
import { utf8 } from './encoding.js';
import { CryptoError } from './errors.js';
import { compressBlock, INITIAL_STATE } from './sha256.js';

export interface ProofOfWorkProgress {
  /** Candidates tried so far. */
  hashes: number;
  elapsedMs: number;
}

const MAX_DIFFICULTY = 32;
const MAX_NONCE_DIGITS = 16;
const BLOCK_BYTES = 64;
const ASCII_ZERO = 0x30;
const ASCII_NINE = 0x39;
/** The clock is read once per this many candidates (a power of two), so reading it costs nothing. */
const CANDIDATES_PER_CLOCK_READ = 0x2000;
/** How often the search reports progress and lets the worker's event loop run (its other requests, its messages). */
const SLICE_MS = 100;

export async function solveProofOfWork(
  challenge: string,
  difficulty: number,
  onProgress: (progress: ProofOfWorkProgress) => void = () => undefined,
  now: () => number = () => performance.now(),
): Promise<string> {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DIFFICULTY) {
    throw new CryptoError('BAD_PROOF_OF_WORK', `A proof-of-work difficulty is a whole number of bits from 0 to ${MAX_DIFFICULTY}`);
  }
  if (!/^[\x21-\x7e]+$/.test(challenge)) throw new CryptoError('BAD_PROOF_OF_WORK', 'A proof-of-work challenge is printable ASCII');
  const prefix = utf8(`${challenge}:`);
  const words = new Int32Array(64);
  const midstate = new Uint32Array(INITIAL_STATE);
  const wholeBlocks = Math.floor(prefix.length / BLOCK_BYTES);
  for (let block = 0; block < wholeBlocks; block++) compressBlock(midstate, prefix, block * BLOCK_BYTES, words);
  const rest = prefix.subarray(wholeBlocks * BLOCK_BYTES);

  // The last block(s): the rest of the prefix, the nonce's digits (counted up in place), then FIPS 180-4 padding.
  const tail = new Uint8Array(2 * BLOCK_BYTES);
  const at = rest.length;
  let digitCount = 1;
  let tailBlocks = 0;
  const layOutTail = (leadingDigit: number) => {
    const used = at + digitCount;
    tailBlocks = used + 9 <= BLOCK_BYTES ? 1 : 2;
    tail.fill(0);
    tail.set(rest, 0);
    tail.fill(ASCII_ZERO, at, used);
    tail[at] = leadingDigit;
    tail[used] = 0x80;
    new DataView(tail.buffer).setUint32(tailBlocks * BLOCK_BYTES - 4, (prefix.length + digitCount) * 8);
  };
  layOutTail(ASCII_ZERO);

  // The digest starts with `difficulty` zero bits when its first word, masked, is zero.
  const mask = difficulty === 0 ? 0 : (0xffffffff << (MAX_DIFFICULTY - difficulty)) >>> 0;
  const state = new Uint32Array(8);
  const start = now();
  let sliceEnds = start + SLICE_MS;
  for (let hashes = 1; ; hashes++) {
    state.set(midstate);
    compressBlock(state, tail, 0, words);
    if (tailBlocks === 2) compressBlock(state, tail, BLOCK_BYTES, words);
    if ((state[0] & mask) === 0) return String.fromCharCode(...tail.subarray(at, at + digitCount));

    if (!increment(tail, at, digitCount)) {
      digitCount += 1;
      if (digitCount > MAX_NONCE_DIGITS) throw new CryptoError('BAD_PROOF_OF_WORK', 'No nonce of 16 digits or fewer solves this challenge');
      layOutTail(ASCII_ZERO + 1);
    }
    if ((hashes & (CANDIDATES_PER_CLOCK_READ - 1)) === 0 && now() >= sliceEnds) {
      onProgress({ hashes, elapsedMs: now() - start });
      await new Promise((resolve) => setTimeout(resolve, 0));
      sliceEnds = now() + SLICE_MS;
    }
  }
}

/** Adds one to the decimal digits at bytes[from, from + count) in place; false when they were all nines (the caller adds a digit). */
function increment(bytes: Uint8Array, from: number, count: number): boolean {
  for (let at = from + count - 1; at >= from; at--) {
    if (bytes[at] < ASCII_NINE) {
      bytes[at] += 1;
      return true;
    }
    bytes[at] = ASCII_ZERO;
  }
  return false;
}
