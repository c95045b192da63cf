/**
 * A key-directory log in memory, for tests: RFC 9162 trees (MTH, PATH and
 * PROOF written from the RFC's recursive definitions, independently of the
 * API's stored-node implementation) over bindings, and tree heads signed with
 * an ECDSA P-256 key. The crypto tests make one with a key of their own; the
 * lying-server harness makes one with the stack's real log key, to forge a
 * log that the portal must catch by other means than the signature.
 */
import {
  keyLogLeafJson,
  treeHeadMessage,
  type ConsistencyProof,
  type KeyBinding,
  type KeyBindingProof,
  type KeyLogFrontier,
  type KeyLogLeaves,
  type LoggedKeyBinding,
  type SignedTreeHead,
} from '@phr/shared-types';
import { fromBase64Url, toBase64Url, toHex, utf8 } from '../encoding.js';
import { emptyTreeRoot, leafHash, nodeHash } from '../key-directory.js';

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The largest power of two smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class TestKeyLog {
  readonly leaves: LoggedKeyBinding[] = [];

  private constructor(
    private readonly signingKey: CryptoKey,
    /** The log's public key, SPKI DER in base64url: what a portal build carries. */
    readonly publicKey: string,
    readonly keyId: string,
  ) {}

  /** A log with a new key of its own. */
  static async create(): Promise<TestKeyLog> {
    const pair = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
    return TestKeyLog.withKey(pair.privateKey, new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)));
  }

  /** A log signed with a given key: PKCS#8 DER in base64url (what the API's KEY_LOG_SIGNING_KEY holds) and its public half. */
  static async fromSigningKey(pkcs8: string, spki: string): Promise<TestKeyLog> {
    const key = await crypto.subtle.importKey('pkcs8', fromBase64Url(pkcs8), ECDSA, false, ['sign']);
    return TestKeyLog.withKey(key, fromBase64Url(spki));
  }

  /** Another log signed with the same key as `log` (a fork its operator could sign). */
  static fromSigningKeyOf(log: TestKeyLog): Promise<TestKeyLog> {
    return Promise.resolve(new TestKeyLog(log.signingKey, log.publicKey, log.keyId));
  }

  private static async withKey(signingKey: CryptoKey, spki: Uint8Array<ArrayBuffer>): Promise<TestKeyLog> {
    return new TestKeyLog(signingKey, toBase64Url(spki), toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', spki))));
  }

  append(binding: KeyBinding): LoggedKeyBinding {
    const logged = { ...binding, leafIndex: this.leaves.length };
    this.leaves.push(logged);
    return logged;
  }

  get size(): number {
    return this.leaves.length;
  }

  /** MTH(D[start:start+size]) (RFC 9162 §2.1.1). */
  private async subtreeHash(start: number, size: number): Promise<Uint8Array<ArrayBuffer>> {
    if (size === 0) return emptyTreeRoot();
    if (size === 1) return leafHash(utf8(keyLogLeafJson(this.leaves[start])));
    const k = split(size);
    return nodeHash(await this.subtreeHash(start, k), await this.subtreeHash(start + k, size - k));
  }

  async rootHash(treeSize = this.size): Promise<string> {
    return toBase64Url(await this.subtreeHash(0, treeSize));
  }

  /** A head for the first `treeSize` leaves, signed now (or at `issuedAt`). */
  async head(treeSize = this.size, issuedAt = new Date().toISOString()): Promise<SignedTreeHead> {
    const unsigned = { treeSize, rootHash: await this.rootHash(treeSize), issuedAt };
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.signingKey, utf8(treeHeadMessage(unsigned)));
    return { ...unsigned, signature: toBase64Url(new Uint8Array(signature)), keyId: this.keyId };
  }

  /** PATH(m, D[start:start+size]) (RFC 9162 §2.1.3.1). */
  private async path(m: number, start: number, size: number): Promise<string[]> {
    if (size <= 1) return [];
    const k = split(size);
    if (m < k) return [...(await this.path(m, start, k)), toBase64Url(await this.subtreeHash(start + k, size - k))];
    return [...(await this.path(m - k, start + k, size - k)), toBase64Url(await this.subtreeHash(start, k))];
  }

  /** The latest binding of `userId` within the first `treeSize` leaves, proven in a head of that size. */
  async bindingProof(userId: string, treeSize = this.size, head?: SignedTreeHead): Promise<KeyBindingProof> {
    const binding = this.leaves.slice(0, treeSize).findLast((leaf) => leaf.userId === userId);
    if (!binding) throw new Error(`No binding for ${userId} in the first ${treeSize} leaves`);
    return { binding, treeHead: head ?? (await this.head(treeSize)), inclusionProof: await this.path(binding.leafIndex, 0, treeSize) };
  }

  /** SUBPROOF(m, D[start:start+size], b) (RFC 9162 §2.1.4.1). */
  private async subproof(m: number, start: number, size: number, isWholeOldTree: boolean): Promise<string[]> {
    if (m === size) return isWholeOldTree ? [] : [toBase64Url(await this.subtreeHash(start, size))];
    const k = split(size);
    if (m <= k) return [...(await this.subproof(m, start, k, isWholeOldTree)), toBase64Url(await this.subtreeHash(start + k, size - k))];
    return [...(await this.subproof(m - k, start + k, size - k, false)), toBase64Url(await this.subtreeHash(start, k))];
  }

  async consistency(from: number, to = this.size): Promise<ConsistencyProof> {
    const proof = from === 0 || from === to ? [] : await this.subproof(from, 0, to, true);
    return { from, to, proof };
  }

  /** The perfect subtrees of the first `treeSize` leaves, largest first (GET /key-directory/frontier). */
  async frontier(treeSize: number): Promise<KeyLogFrontier> {
    const hashes: string[] = [];
    let start = 0;
    while (start < treeSize) {
      let size = 1;
      while (size * 2 <= treeSize - start) size *= 2;
      hashes.push(toBase64Url(await this.subtreeHash(start, size)));
      start += size;
    }
    return { treeSize, hashes };
  }

  /** Leaves [start, end), stopping at the log's size (GET /key-directory/leaves). */
  leavesBetween(start: number, end: number): KeyLogLeaves {
    const items = this.leaves.slice(start, Math.min(end, this.size));
    return { start, end: start + items.length, items };
  }
}
