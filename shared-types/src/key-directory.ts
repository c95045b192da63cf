/**
 * The key directory (DESIGN 4.5): an append-only Merkle-tree log, in the style
 * of Certificate Transparency (RFC 9162), of every binding of an account to its
 * RSA-OAEP public key. The server signs each tree head with the log key, whose
 * public half ships with the portal build. docs/protocol.md "Key directory"
 * defines the bytes; docs/test-vectors/key-directory.json pins them.
 */
import type { Base64Url, IsoDateTime, Role, Uuid } from './common.js';

/** The first element of every leaf: the leaf format's version. */
export const KEY_LOG_LEAF_VERSION = 1;

/** The first line of the message a tree head signs. */
export const KEY_LOG_TREE_HEAD_LABEL = 'phr/v1/key-log-sth';

/** SHA-256: every leaf hash, node hash and root hash. */
export const KEY_LOG_HASH_BYTES = 32;

/** GET /key-directory/leaves returns at most this many leaves per call. */
export const KEY_LOG_MAX_LEAVES_PER_PAGE = 1000;

/**
 * One binding of an account to its public key: made at registration, at a key
 * rotation, and at erasure (then with `publicKey` and `fingerprint` null: the
 * account no longer has a key, and no one may wrap for the old one).
 */
export interface KeyBinding {
  /** Lower-case UUID. */
  userId: Uuid;
  role: Role;
  /** RSA-OAEP public key, SPKI DER, base64url; null once the account is erased. */
  publicKey: Base64Url | null;
  /** SHA-256 of the SPKI bytes, lower-case hex; null once the account is erased. */
  fingerprint: string | null;
  /** When the binding was logged: ISO 8601 in UTC with milliseconds. */
  boundAt: IsoDateTime;
}

/** A binding with its position in the log (leaf index, from 0). */
export interface LoggedKeyBinding extends KeyBinding {
  leafIndex: number;
}

/**
 * A signed tree head. `signature` is ECDSA P-256 with SHA-256 over the UTF-8 of
 * treeHeadMessage(head), as IEEE P1363 r||s (64 bytes, what WebCrypto makes and
 * verifies). The log keeps one head per tree size: the same size always gives
 * the same head.
 */
export interface SignedTreeHead {
  treeSize: number;
  /** RFC 9162 root hash of the first treeSize leaves (32 bytes, base64url). */
  rootHash: Base64Url;
  issuedAt: IsoDateTime;
  signature: Base64Url;
  /** SHA-256 of the log key's SPKI, lower-case hex: which key signed. */
  keyId: string;
}

/** GET /key-directory/bindings/:id */
export interface KeyBindingQuery {
  /** A tree size the log has a head for; the latest when absent. */
  treeSize?: number;
}

/** The account's latest binding within a tree, with the proof that the tree includes it. */
export interface KeyBindingProof {
  binding: LoggedKeyBinding;
  /** The stored head of the tree the proof is for. */
  treeHead: SignedTreeHead;
  /** RFC 9162 §2.1.3 inclusion proof of binding.leafIndex in treeHead.treeSize, leaf to root, base64url hashes. */
  inclusionProof: Base64Url[];
}

/** GET /key-directory/consistency */
export interface ConsistencyQuery {
  /** The older tree size (0 is allowed: every tree extends the empty one, with an empty proof). */
  from: number;
  to: number;
}

/** RFC 9162 §2.1.4 consistency proof between two tree sizes the log has heads for. */
export interface ConsistencyProof {
  from: number;
  to: number;
  proof: Base64Url[];
}

/** GET /key-directory/leaves: leaves [start, end), for monitors that rebuild the tree. */
export interface KeyLogLeavesQuery {
  start: number;
  /** Exclusive; at most KEY_LOG_MAX_LEAVES_PER_PAGE after start. */
  end: number;
}

/** GET /key-directory/frontier */
export interface KeyLogFrontierQuery {
  /** A tree size the log has a head for (0: the empty tree, no hashes). */
  treeSize: number;
}

/**
 * The compact range of the first treeSize leaves: the root hashes of the
 * perfect subtrees that make up the tree, one per set bit of treeSize, the
 * largest (leftmost) first. Folded from the right with the node hash they give
 * the tree's root; with the leaves after treeSize appended they give the root
 * of any later tree. A client that keeps a head checks with them that the
 * leaves it is shown since are all of them (docs/protocol.md "Key directory").
 */
export interface KeyLogFrontier {
  treeSize: number;
  hashes: Base64Url[];
}

export interface KeyLogLeaves {
  start: number;
  /** Exclusive: start plus the number of items, which stops at the log's current size. */
  end: number;
  items: LoggedKeyBinding[];
}

/**
 * The leaf's bytes are the UTF-8 of this JSON array (no spaces):
 * [1, userId, role, publicKey, fingerprint, boundAt].
 */
export function keyLogLeafJson(binding: KeyBinding): string {
  return JSON.stringify([KEY_LOG_LEAF_VERSION, binding.userId, binding.role, binding.publicKey, binding.fingerprint, binding.boundAt]);
}

/** What a tree head's signature covers (as UTF-8): label, size, root hash and time, one per line. */
export function treeHeadMessage(head: Pick<SignedTreeHead, 'treeSize' | 'rootHash' | 'issuedAt'>): string {
  return `${KEY_LOG_TREE_HEAD_LABEL}\n${head.treeSize}\n${head.rootHash}\n${head.issuedAt}`;
}
