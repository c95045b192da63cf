import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  keyLogLeafJson,
  type ConsistencyProof,
  type KeyBinding,
  type KeyBindingProof,
  type KeyLogFrontier,
  type KeyLogLeaves,
  type LoggedKeyBinding,
  type Role,
  type SignedTreeHead,
} from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { fingerprintOf } from '../identity/key-material.js';
import { ApiError } from '../common/api-error.js';
import { ConfigError } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { KeyLogRepository } from './key-log.repository.js';
import {
  consistencyProof,
  frontierHashes,
  inclusionProof,
  leafHash,
  nodesCompletedBy,
  nodesNeeded,
  readerOf,
  rootHash,
  withNodes,
  type NodeReader,
} from './merkle-tree.js';
import { TreeHeadSigner } from './tree-head-signer.js';

/** What an account binds: its id, role and current public key (null when the account is erased). */
export interface AccountKey {
  userId: string;
  role: Role;
  publicKey: string | null;
}

/**
 * The key directory (DESIGN 4.5, docs/protocol.md "Key directory"): every
 * binding of an account to a public key is a leaf of an append-only RFC 9162
 * Merkle tree, and every size the tree reaches gets one signed head. The
 * browser checks a key's inclusion before it wraps for it, that each head it
 * sees extends the last one, and at sign-in that its own latest binding is its
 * own key.
 */
@Injectable()
export class KeyDirectory implements OnApplicationBootstrap {
  constructor(
    private readonly db: Db,
    private readonly log: KeyLogRepository,
    private readonly signer: TreeHeadSigner,
    private readonly audit: AuditService,
  ) {}

  /**
   * Appends a binding in the current transaction, with the head of the new
   * tree: at registration, at erasure (publicKey null), and wherever a key is
   * rotated. If the transaction rolls back, so does the leaf.
   *
   * Takes the log's lock, held until the transaction ends: appends happen one
   * at a time. Lock order: call this before the transaction writes audit
   * rows. AuditService writes them at the end (locking chain heads then), so
   * any call during a request's work is in order; a transaction that holds a
   * chain head (AuditService.allowNow) must not append afterwards.
   */
  async bind(account: AccountKey): Promise<LoggedKeyBinding> {
    const { size, now } = await this.log.lock();
    const binding: LoggedKeyBinding = {
      leafIndex: size,
      userId: account.userId.toLowerCase(),
      role: account.role,
      publicKey: account.publicKey,
      fingerprint: account.publicKey === null ? null : fingerprintOf(account.publicKey),
      boundAt: now.toISOString(),
    };
    const hash = leafHash(leafBytes(binding));
    const { nodes, root } = await this.withStoredNodes((read) => {
      const completed = nodesCompletedBy(size, hash, read);
      return { nodes: completed, root: rootHash(size + 1, withNodes(completed, read)) };
    });
    await this.log.insertLeaf(binding, hash);
    await this.log.insertNodes(nodes);
    await this.log.insertHead(this.signer.sign(size + 1, root, now));
    return binding;
  }

  /**
   * Before the API serves: the log's heads must all be signed by the
   * configured key (the log key never changes; a different one means a wrong
   * KEY_LOG_SIGNING_KEY), and the tree as it stands gets its head if it has
   * none (the migration's backfill, or an empty log).
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.db.runAs(ANONYMOUS, async () => {
      const foreignKeyId = await this.log.keyIdOtherThan(this.signer.keyId);
      if (foreignKeyId) {
        throw new ConfigError(
          'KEY_LOG_SIGNING_KEY',
          `is not the key that signed this key directory (its heads carry keyId ${foreignKeyId}, this key is ${this.signer.keyId}); the log key must never change (docs/running.md "Log key of the key directory")`,
        );
      }
      const { size, now } = await this.log.lock();
      if (await this.log.head(size)) return;
      const root = await this.withStoredNodes((read) => rootHash(size, read));
      await this.log.insertHead(this.signer.sign(size, root, now));
    });
  }

  async latestHead(): Promise<SignedTreeHead> {
    const head = await this.log.latestHead();
    if (!head) throw new Error('The key directory has no signed head: the API signs one when it starts');
    return head;
  }

  /** The account's latest binding within the tree of `treeSize` (default: the latest head), with its inclusion proof. */
  async bindingProof(userId: string, treeSize?: number): Promise<KeyBindingProof> {
    const treeHead = treeSize === undefined ? await this.latestHead() : await this.headOfSize(treeSize, 'treeSize');
    const binding = await this.log.latestBindingOf(userId.toLowerCase(), treeHead.treeSize);
    if (!binding) throw ApiError.notFound('This account has no binding in that tree');
    const proof = await this.withStoredNodes((read) => inclusionProof(binding.leafIndex, treeHead.treeSize, read));
    // Who looked up whose key (to wrap for it, or to check their own) stands in the key owner's trail, as for GET /users/:id/public-key.
    await this.audit.allow({ subjectId: binding.userId, action: 'key.read', reason: `key directory binding ${binding.leafIndex} in tree ${treeHead.treeSize}` });
    return { binding, treeHead, inclusionProof: proof.map((hash) => hash.toString('base64url')) };
  }

  /** RFC 9162 consistency proof between two tree sizes the log has heads for (from 0: the empty tree, empty proof). */
  async consistency(from: number, to: number): Promise<ConsistencyProof> {
    if (from > to) throw ApiError.validation([{ field: 'from', message: 'from must not be larger than to' }]);
    await this.headOfSize(to, 'to');
    if (from > 0) await this.headOfSize(from, 'from');
    const proof = await this.withStoredNodes((read) => consistencyProof(from, to, read));
    return { from, to, proof: proof.map((hash) => hash.toString('base64url')) };
  }

  /** The perfect subtrees of the tree of `treeSize` (one the log has a head for), largest first. */
  async frontier(treeSize: number): Promise<KeyLogFrontier> {
    if (treeSize > 0) await this.headOfSize(treeSize, 'treeSize');
    const hashes = await this.withStoredNodes((read) => frontierHashes(treeSize, read));
    return { treeSize, hashes: hashes.map((hash) => hash.toString('base64url')) };
  }

  /** Leaves [start, end), stopping at the log's size. */
  async leaves(start: number, end: number, maxPerPage: number): Promise<KeyLogLeaves> {
    if (end <= start) throw ApiError.validation([{ field: 'end', message: 'end must be larger than start' }]);
    if (end - start > maxPerPage) throw ApiError.validation([{ field: 'end', message: `end must be at most start + ${maxPerPage}` }]);
    const items = await this.log.leaves(start, end);
    return { start, end: start + items.length, items };
  }

  private async headOfSize(treeSize: number, field: string): Promise<SignedTreeHead> {
    const head = await this.log.head(treeSize);
    if (!head) throw ApiError.notFound(`The key directory has no tree head of size ${treeSize} (${field})`);
    return head;
  }

  /** Runs `compute` over the stored nodes it reads, fetched in one query (merkle-tree.ts nodesNeeded). */
  private async withStoredNodes<T>(compute: (read: NodeReader) => T): Promise<T> {
    const stored = await this.log.nodes(nodesNeeded(compute));
    return compute(readerOf(stored));
  }
}

/** The leaf's bytes: the UTF-8 of keyLogLeafJson (docs/protocol.md "Key directory"). */
export function leafBytes(binding: KeyBinding): Buffer {
  return Buffer.from(keyLogLeafJson(binding), 'utf8');
}
