import { Injectable } from '@nestjs/common';
import type { KeyBinding, LoggedKeyBinding, Role, SignedTreeHead } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import { nodeKey, type NodeId, type TreeNode } from './merkle-tree.js';

interface LeafRow {
  leaf_index: string;
  user_id: string;
  role: Role;
  public_key: string | null;
  fingerprint: string | null;
  bound_at: Date;
}

interface HeadRow {
  tree_size: string;
  root_hash: Buffer;
  issued_at: Date;
  signature: Buffer;
  key_id: string;
}

const LEAF_COLUMNS = 'leaf_index, user_id, role, public_key, fingerprint, bound_at';
const HEAD_COLUMNS = 'tree_size, root_hash, issued_at, signature, key_id';

/**
 * The SQL of the key log's tables (migration 1765300000000): leaves, the
 * hashes of complete subtrees, and signed heads. Runs in the caller's
 * transaction; the database refuses a leaf out of order or whose hash does not
 * match its binding, and any change to a row once written.
 */
@Injectable()
export class KeyLogRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes the log's lock (its one tree row) until the transaction ends, and
   * returns the tree's size and the database's time, to the millisecond.
   */
  async lock(): Promise<{ size: number; now: Date }> {
    const [row] = await this.db.manager().query<Array<{ size: string; now: Date }>>('SELECT size, now FROM key_log_lock()');
    return { size: Number(row.size), now: row.now };
  }

  async insertLeaf(leaf: LoggedKeyBinding, hash: Buffer): Promise<void> {
    await this.db
      .manager()
      .query(`INSERT INTO key_log_leaves (${LEAF_COLUMNS}, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        leaf.leafIndex,
        leaf.userId,
        leaf.role,
        leaf.publicKey,
        leaf.fingerprint,
        leaf.boundAt,
        hash,
      ]);
  }

  /** Inserts children before parents (the database checks each node against its children). */
  async insertNodes(nodes: TreeNode[]): Promise<void> {
    const ordered = [...nodes].sort((a, b) => a.level - b.level);
    await this.db.manager().query(
      `INSERT INTO key_log_nodes (level, node_index, hash)
       SELECT n.level, n.node_index, n.hash FROM unnest($1::smallint[], $2::bigint[], $3::bytea[]) WITH ORDINALITY AS n(level, node_index, hash, position)
       ORDER BY n.position`,
      [ordered.map((node) => node.level), ordered.map((node) => node.index), ordered.map((node) => node.hash)],
    );
  }

  /** The stored hashes of these nodes, by nodeKey; one indexed query. */
  async nodes(ids: NodeId[]): Promise<Map<string, Buffer>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.manager().query<Array<{ level: number; node_index: string; hash: Buffer }>>(
      `SELECT n.level, n.node_index, n.hash FROM key_log_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS wanted(level, node_index) ON n.level = wanted.level AND n.node_index = wanted.node_index`,
      [ids.map((id) => id.level), ids.map((id) => id.index)],
    );
    return new Map(rows.map((row) => [nodeKey(row.level, Number(row.node_index)), row.hash]));
  }

  async insertHead(head: SignedTreeHead): Promise<void> {
    await this.db
      .manager()
      .query(`INSERT INTO key_log_heads (${HEAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [
        head.treeSize,
        Buffer.from(head.rootHash, 'base64url'),
        head.issuedAt,
        Buffer.from(head.signature, 'base64url'),
        head.keyId,
      ]);
  }

  async head(treeSize: number): Promise<SignedTreeHead | null> {
    const [row] = await this.db.manager().query<HeadRow[]>(`SELECT ${HEAD_COLUMNS} FROM key_log_heads WHERE tree_size = $1`, [treeSize]);
    return row ? toHead(row) : null;
  }

  async latestHead(): Promise<SignedTreeHead | null> {
    const [row] = await this.db.manager().query<HeadRow[]>(`SELECT ${HEAD_COLUMNS} FROM key_log_heads ORDER BY tree_size DESC LIMIT 1`);
    return row ? toHead(row) : null;
  }

  /** The key id of a head some other key signed, if any. */
  async keyIdOtherThan(keyId: string): Promise<string | null> {
    const [row] = await this.db.manager().query<Array<{ key_id: string }>>('SELECT key_id FROM key_log_heads WHERE key_id <> $1 LIMIT 1', [keyId]);
    return row?.key_id ?? null;
  }

  /** The account's latest binding among the first `treeSize` leaves. */
  async latestBindingOf(userId: string, treeSize: number): Promise<LoggedKeyBinding | null> {
    const [row] = await this.db
      .manager()
      .query<LeafRow[]>(`SELECT ${LEAF_COLUMNS} FROM key_log_leaves WHERE user_id = $1 AND leaf_index < $2 ORDER BY leaf_index DESC LIMIT 1`, [userId, treeSize]);
    return row ? toBinding(row) : null;
  }

  /** Leaves [start, end), in order. */
  async leaves(start: number, end: number): Promise<LoggedKeyBinding[]> {
    const rows = await this.db
      .manager()
      .query<LeafRow[]>(`SELECT ${LEAF_COLUMNS} FROM key_log_leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index`, [start, end]);
    return rows.map(toBinding);
  }
}

function toBinding(row: LeafRow): LoggedKeyBinding {
  const binding: KeyBinding = { userId: row.user_id, role: row.role, publicKey: row.public_key, fingerprint: row.fingerprint, boundAt: row.bound_at.toISOString() };
  return { leafIndex: Number(row.leaf_index), ...binding };
}

function toHead(row: HeadRow): SignedTreeHead {
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash.toString('base64url'),
    issuedAt: row.issued_at.toISOString(),
    signature: row.signature.toString('base64url'),
    keyId: row.key_id,
  };
}
