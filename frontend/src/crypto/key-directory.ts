/**
 * Checks the key directory's answers in the browser (DESIGN 4.5,
 * docs/protocol.md "Key directory"): tree-head signatures with the log key the
 * portal was built with, and the RFC 9162 §2.1.3.2 and §2.1.4.2 verification
 * of inclusion and consistency proofs. WebCrypto only. Every check returns
 * false, never throws, for an answer that is malformed or does not verify.
 */
import { KEY_LOG_HASH_BYTES, keyLogLeafJson, treeHeadMessage, type KeyBinding, type KeyBindingProof, type KeyLogFrontier, type LoggedKeyBinding, type SignedTreeHead } from '@phr/shared-types';
import { concatBytes, fromBase64Url, toHex, utf8 } from './encoding.js';

/** The parts of a tree head the proofs are about. */
export type TreeRoot = Pick<SignedTreeHead, 'treeSize' | 'rootHash'>;

/** ECDSA P-256 signatures in IEEE P1363 form: r || s. */
const SIGNATURE_BYTES = 64;

/** The bytes of a binding's leaf: the UTF-8 of [1,userId,role,publicKey,fingerprint,boundAt]. */
export function leafBytes(binding: KeyBinding): Uint8Array<ArrayBuffer> {
  return utf8(keyLogLeafJson(binding));
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(...parts)));
}

/** RFC 9162 §2.1.1: SHA-256(0x00 || leaf). */
export function leafHash(leaf: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(Uint8Array.of(0), leaf);
}

/** RFC 9162 §2.1.1: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(Uint8Array.of(1), left, right);
}

/** The root hash of the empty tree: SHA-256 of nothing. */
export function emptyTreeRoot(): Promise<Uint8Array<ArrayBuffer>> {
  return sha256();
}

/** A WebCrypto key, spelled so that Node's typings (the API suite imports this verifier) know it too. */
type VerifyingKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** The log's public key (SPKI, base64url, as the portal is built with it) and its key id. */
export interface LogKey {
  key: VerifyingKey;
  /** SHA-256 of the SPKI, lower-case hex: a head's keyId must be this. */
  keyId: string;
}

export async function importLogKey(spkiBase64Url: string): Promise<LogKey> {
  const spki = fromBase64Url(spkiBase64Url);
  const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  return { key, keyId: toHex(await sha256(spki)) };
}

/**
 * A head is good when its shape is right, it names the log key and the log
 * key signed treeHeadMessage(head). A head that claims another size or root
 * than the one signed fails here.
 */
export async function verifyTreeHead(head: SignedTreeHead, logKey: LogKey | string): Promise<boolean> {
  try {
    const key = typeof logKey === 'string' ? await importLogKey(logKey) : logKey;
    if (!isTreeSize(head.treeSize) || !isHash(head.rootHash) || typeof head.issuedAt !== 'string' || head.keyId !== key.keyId) return false;
    const signature = fromBase64Url(head.signature);
    if (signature.length !== SIGNATURE_BYTES) return false;
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key.key, signature, utf8(treeHeadMessage(head)));
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.3.2: does the tree of `root` hold `leaf` (a binding, or its
 * leaf bytes) at `index`? Check the head's signature first (verifyTreeHead):
 * the proof alone does not bind the tree's size.
 */
export async function verifyInclusion(leaf: KeyBinding | Uint8Array, index: number, proof: readonly string[], root: TreeRoot): Promise<boolean> {
  try {
    if (!isTreeSize(root.treeSize) || !isTreeSize(index) || index >= root.treeSize || !isHash(root.rootHash)) return false;
    const path = decodePath(proof);
    if (!path) return false;
    let fn = index;
    let sn = root.treeSize - 1;
    let r = await leafHash(leaf instanceof Uint8Array ? leaf : leafBytes(leaf));
    for (const p of path) {
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && equalBytes(r, fromBase64Url(root.rootHash));
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2: does the tree of `newer` extend the tree of `older`
 * (nothing logged before was changed or removed)? The same size needs the
 * same root and an empty proof; the empty tree is extended by every tree
 * (empty proof). Check both heads' signatures first (verifyTreeHead).
 */
export async function verifyConsistency(older: TreeRoot, newer: TreeRoot, proof: readonly string[]): Promise<boolean> {
  try {
    if (!isTreeSize(older.treeSize) || !isTreeSize(newer.treeSize) || !isHash(older.rootHash) || !isHash(newer.rootHash)) return false;
    if (older.treeSize > newer.treeSize) return false;
    const path = decodePath(proof);
    if (!path) return false;
    const firstHash = fromBase64Url(older.rootHash);
    const secondHash = fromBase64Url(newer.rootHash);
    if (older.treeSize === 0) return path.length === 0 && equalBytes(firstHash, await emptyTreeRoot());
    if (older.treeSize === newer.treeSize) return path.length === 0 && equalBytes(firstHash, secondHash);
    if (path.length === 0) return false;
    const hashes = isPowerOfTwo(older.treeSize) ? [firstHash, ...path] : path;
    let fn = older.treeSize - 1;
    let sn = newer.treeSize - 1;
    while (isOdd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = hashes[0];
    let sr = hashes[0];
    for (const c of hashes.slice(1)) {
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return equalBytes(fr, firstHash) && equalBytes(sr, secondHash) && sn === 0;
  } catch {
    return false;
  }
}

/**
 * An answer of GET /key-directory/bindings/:id is good for `userId` when its
 * head is signed by the log key, the binding names that account, and the proof
 * puts the binding's leaf in that head's tree. The caller then compares the
 * head with the last one it kept (verifyConsistency) and uses binding.publicKey.
 */
export async function verifyBindingProof(answer: KeyBindingProof, userId: string, logKey: LogKey | string): Promise<boolean> {
  if (answer.binding.userId !== userId.toLowerCase()) return false;
  if (!(await verifyTreeHead(answer.treeHead, logKey))) return false;
  return verifyInclusion(answer.binding, answer.binding.leafIndex, answer.inclusionProof, answer.treeHead);
}

/** Set bits of a tree size: how many perfect subtrees make up its tree. */
function bitCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/** A compact range's root: its subtrees folded from the right (the empty tree's root when there are none). */
async function foldFromRight(stack: readonly { hash: Uint8Array }[]): Promise<Uint8Array> {
  if (stack.length === 0) return emptyTreeRoot();
  let root = stack[stack.length - 1].hash;
  for (let i = stack.length - 2; i >= 0; i -= 1) root = await nodeHash(stack[i].hash, root);
  return root;
}

/**
 * Are `leaves` all the leaves between two trees, unchanged: leaves
 * older.treeSize up to newer.treeSize, in order? `frontier` (GET
 * /key-directory/frontier?treeSize=older.treeSize) must fold to the older
 * root; each leaf is then appended to it as to a binary counter (two equal
 * subtrees merge into their parent), and the result must fold to the newer
 * root. A leaf left out, added, changed or reordered changes that root. Check
 * both heads first (verifyTreeHead, and verifyConsistency between them).
 */
export async function verifyLeafRange(older: TreeRoot, newer: TreeRoot, frontier: KeyLogFrontier, leaves: readonly LoggedKeyBinding[]): Promise<boolean> {
  try {
    if (!isTreeSize(older.treeSize) || !isTreeSize(newer.treeSize) || !isHash(older.rootHash) || !isHash(newer.rootHash)) return false;
    if (frontier.treeSize !== older.treeSize || older.treeSize + leaves.length !== newer.treeSize) return false;
    const hashes = decodePath(frontier.hashes);
    if (!hashes || hashes.length !== bitCount(older.treeSize)) return false;
    // The subtrees of the older tree, largest first: the sizes are its set bits.
    const stack: { size: number; hash: Uint8Array }[] = [];
    let rest = older.treeSize;
    for (const hash of hashes) {
      let size = 1;
      while (size * 2 <= rest) size *= 2;
      stack.push({ size, hash });
      rest -= size;
    }
    if (!equalBytes(await foldFromRight(stack), fromBase64Url(older.rootHash))) return false;
    for (const [offset, leaf] of leaves.entries()) {
      if (leaf.leafIndex !== older.treeSize + offset) return false;
      stack.push({ size: 1, hash: await leafHash(leafBytes(leaf)) });
      while (stack.length >= 2 && stack[stack.length - 1].size === stack[stack.length - 2].size) {
        const right = stack.pop() as { size: number; hash: Uint8Array };
        const left = stack.pop() as { size: number; hash: Uint8Array };
        stack.push({ size: left.size * 2, hash: await nodeHash(left.hash, right.hash) });
      }
    }
    return equalBytes(await foldFromRight(stack), fromBase64Url(newer.rootHash));
  } catch {
    return false;
  }
}

function decodePath(proof: readonly string[]): Uint8Array<ArrayBuffer>[] | null {
  if (!Array.isArray(proof) || proof.length > 64) return null;
  const path = proof.map((hash) => (typeof hash === 'string' ? fromBase64Url(hash) : new Uint8Array()));
  return path.every((hash) => hash.length === KEY_LOG_HASH_BYTES) ? path : null;
}

function isTreeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHash(value: unknown): boolean {
  try {
    return typeof value === 'string' && fromBase64Url(value).length === KEY_LOG_HASH_BYTES;
  } catch {
    return false;
  }
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

/** A right shift by one, for sizes beyond 32 bits too. */
function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  let power = 1;
  while (power < n) power *= 2;
  return power === n;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
