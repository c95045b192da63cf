/**
 * The key directory's Merkle tree, as RFC 9162 §2.1 defines it: leaf hash
 * SHA-256(0x00 || leaf), node hash SHA-256(0x01 || left || right), a tree of n
 * leaves split at the largest power of two smaller than n, inclusion proofs
 * (§2.1.3.1) and consistency proofs (§2.1.4.1). Pure functions: the hashes they
 * need come from a NodeReader, so the same code runs over the database
 * (KeyLogRepository) and over an in-memory tree (the property tests).
 *
 * Storage (docs/architecture.md "Key directory"): the log keeps the hash of
 * every complete subtree, node (level L, index i) covering leaves
 * [i·2^L, (i+1)·2^L) — about 2n rows for n leaves. Any subtree of an RFC 9162
 * tree is either such a node or splits into them, so a root, an inclusion proof
 * or a consistency proof for any tree size reads about 2·log₂ n stored hashes
 * (at most 39 for a million leaves; one query, planned by nodesNeeded) and
 * hashes as many; an append writes at most log₂ n + 1 nodes. Nothing is ever
 * recomputed from all the leaves.
 */
import { createHash } from 'node:crypto';

export interface NodeId {
  level: number;
  index: number;
}

export interface TreeNode extends NodeId {
  hash: Buffer;
}

/** The stored hash of a complete subtree; throws when the store has none. */
export type NodeReader = (level: number, index: number) => Buffer;

/** RFC 9162 §2.1.1: the hash of an empty tree is the hash of the empty string. */
export const EMPTY_TREE_ROOT = createHash('sha256').digest();

export function leafHash(leafBytes: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(0)).update(leafBytes).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

export function nodeKey(level: number, index: number): string {
  return `${level}:${index}`;
}

/** The largest power of two smaller than n (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Exact for every safe integer (Math.log2 rounds 2^52 + 1 to 52). */
function isPowerOfTwo(n: number): boolean {
  let power = 1;
  while (power < n) power *= 2;
  return power === n;
}

/**
 * MTH(D[start:start+size]) for a subtree the RFC's recursion reaches: its start
 * is always a multiple of the smallest power of two ≥ size, so a power-of-two
 * subtree is one stored node and any other splits as the RFC splits it.
 */
function subtreeHash(start: number, size: number, read: NodeReader): Buffer {
  if (isPowerOfTwo(size) && start % size === 0) return read(Math.log2(size), start / size);
  const k = splitPoint(size);
  return nodeHash(subtreeHash(start, k, read), subtreeHash(start + k, size - k, read));
}

/** The root hash of the tree of the first `treeSize` leaves. */
export function rootHash(treeSize: number, read: NodeReader): Buffer {
  assertSize(treeSize);
  return treeSize === 0 ? EMPTY_TREE_ROOT : subtreeHash(0, treeSize, read);
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the audit path of leaf `index` in the tree of `treeSize` leaves, leaf to root. */
export function inclusionProof(index: number, treeSize: number, read: NodeReader): Buffer[] {
  assertSize(treeSize);
  if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) throw new RangeError(`leaf ${index} is not in a tree of ${treeSize}`);
  return path(index, 0, treeSize, read);
}

function path(m: number, start: number, size: number, read: NodeReader): Buffer[] {
  if (size === 1) return [];
  const k = splitPoint(size);
  if (m < k) return [...path(m, start, k, read), subtreeHash(start + k, size - k, read)];
  return [...path(m - k, start + k, size - k, read), subtreeHash(start, k, read)];
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) for 0 < m < n; empty when m equals n, and
 * when m is 0 (every tree extends the empty one).
 */
export function consistencyProof(oldSize: number, newSize: number, read: NodeReader): Buffer[] {
  assertSize(oldSize);
  assertSize(newSize);
  if (oldSize > newSize) throw new RangeError(`a tree of ${newSize} cannot extend one of ${oldSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  return subproof(oldSize, 0, newSize, true, read);
}

function subproof(m: number, start: number, size: number, isWholeOldTree: boolean, read: NodeReader): Buffer[] {
  if (m === size) return isWholeOldTree ? [] : [subtreeHash(start, size, read)];
  const k = splitPoint(size);
  if (m <= k) return [...subproof(m, start, k, isWholeOldTree, read), subtreeHash(start + k, size - k, read)];
  return [...subproof(m - k, start + k, size - k, false, read), subtreeHash(start, k, read)];
}

/**
 * The compact range of the first `treeSize` leaves: the perfect subtree for
 * each set bit of treeSize, largest (leftmost) first. Folded from the right
 * with nodeHash they give rootHash(treeSize): RFC 9162 splits at the largest
 * power of two, which is the first of them.
 */
export function frontierHashes(treeSize: number, read: NodeReader): Buffer[] {
  assertSize(treeSize);
  const hashes: Buffer[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level -= 1) {
    const size = 2 ** level;
    if (treeSize - start >= size) {
      hashes.push(read(level, start / size));
      start += size;
    }
  }
  return hashes;
}

/**
 * The nodes that leaf number `treeSize` (the next one) completes: the leaf
 * itself at level 0, then each parent whose right child it makes complete.
 * Reads the left siblings, which are stored already.
 */
export function nodesCompletedBy(treeSize: number, hash: Buffer, read: NodeReader): TreeNode[] {
  assertSize(treeSize);
  const nodes: TreeNode[] = [{ level: 0, index: treeSize, hash }];
  let current = nodes[0];
  while (current.index % 2 === 1) {
    current = { level: current.level + 1, index: (current.index - 1) / 2, hash: nodeHash(read(current.level, current.index - 1), current.hash) };
    nodes.push(current);
  }
  return nodes;
}

/** A reader that finds `nodes` first, then asks `read`. */
export function withNodes(nodes: TreeNode[], read: NodeReader): NodeReader {
  const extra = new Map(nodes.map((node) => [nodeKey(node.level, node.index), node.hash]));
  return (level, index) => extra.get(nodeKey(level, index)) ?? read(level, index);
}

/**
 * The stored nodes a computation reads, found by running it once over
 * placeholder hashes: which nodes it reads depends only on sizes and indices,
 * never on hash values. The caller fetches them in one query and runs it again.
 */
export function nodesNeeded(compute: (read: NodeReader) => unknown): NodeId[] {
  const needed = new Map<string, NodeId>();
  const placeholder = Buffer.alloc(32);
  compute((level, index) => {
    needed.set(nodeKey(level, index), { level, index });
    return placeholder;
  });
  return [...needed.values()];
}

/** A reader over fetched nodes; a node that is not there is a broken store, never a wrong answer. */
export function readerOf(nodes: Map<string, Buffer>): NodeReader {
  return (level, index) => {
    const hash = nodes.get(nodeKey(level, index));
    if (!hash) throw new Error(`key log node ${level}/${index} is missing`);
    return hash;
  };
}

function assertSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`${size} is not a tree size`);
}
