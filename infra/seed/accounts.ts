/**
 * Accounts for the seed, as registration leaves them (SignUpService): a user,
 * its credentials, its public key, its binding in the key directory (leaf and
 * complete-subtree nodes, as migration 1765300000000 backfills them), and for
 * a doctor an approved clinician row. Every account signs in with one auth key
 * (the API checks its argon2id hash), so load tests can sign in as anyone.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AES_GCM_IV_BYTES, KDF_MIN_ITERATIONS, PROTOCOL_VERSION } from '@phr/shared-types';
import { PasswordHasher } from '../../backend/src/auth/credentials/password-hasher.js';
import { fingerprintOf } from '../../backend/src/identity/key-material.js';
import { nameSkeleton } from '../../backend/src/clinicians/name-check.js';

export type SeedRole = 'patient' | 'doctor' | 'auditor';

export interface SeededAccount {
  userId: string;
  email: string;
  role: SeedRole;
  fingerprint: string;
}

/** Shaped like a sealed blob: version byte, IV, ciphertext and tag (the API cannot open one either). */
export function sealedBlob(plaintextBytes: number): string {
  return Buffer.concat([Buffer.from([PROTOCOL_VERSION]), randomBytes(AES_GCM_IV_BYTES), randomBytes(plaintextBytes + 16)]).toString('base64url');
}

let sharedPublicKey: string | undefined;
const authHashes = new Map<string, Promise<string>>();

/** One RSA-3072 key, and one argon2id hash per auth key, for every seeded account: each costs a few hundred milliseconds to make. */
async function sharedMaterial(authKey: string): Promise<{ publicKey: string; authHash: string }> {
  sharedPublicKey ??= generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
  let authHash = authHashes.get(authKey);
  if (!authHash) {
    authHash = new PasswordHasher().hash(authKey);
    authHashes.set(authKey, authHash);
  }
  return { publicKey: sharedPublicKey, authHash: await authHash };
}

/** Makes `count` accounts of a role in the client's transaction; `tag` keeps emails unique across seeds. */
export async function insertAccounts(client: pg.ClientBase, role: SeedRole, count: number, tag: string, authKey: string, createdAt: Date): Promise<SeededAccount[]> {
  if (count === 0) return [];
  const { publicKey, authHash } = await sharedMaterial(authKey);
  const fingerprint = fingerprintOf(publicKey);
  const accounts = Array.from({ length: count }, (_, index) => ({ userId: randomUUID(), email: `seed-${tag}-${role}-${index + 1}@example.org`, role, fingerprint }));
  const ids = accounts.map((account) => account.userId);
  const names = accounts.map((_, index) => (role === 'doctor' ? `Dr. Seed ${tag} ${index + 1}` : `Seed ${role} ${tag} ${index + 1}`));
  await client.query(
    `INSERT INTO users (id, email, display_name, role, specialty, created_at)
     SELECT u.id, u.email, u.name, $4, CASE WHEN $4 = 'doctor' THEN 'General practice' END, $5 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u (id, email, name)`,
    [ids, accounts.map((account) => account.email), names, role, createdAt],
  );
  await client.query(
    `INSERT INTO credentials (user_id, auth_hash, kdf_iterations, kdf_salt, wrapped_account_key, wrapped_private_key,
       recovery_auth_hash, recovery_wrapped_account_key, updated_at)
     SELECT u.id, $2, $3, u.salt, u.account_key, u.private_key, $2, u.recovery_key, $7
       FROM unnest($1::uuid[], $4::text[], $5::text[], $6::text[], $8::text[]) AS u (id, account_key, private_key, recovery_key, salt)`,
    [
      ids,
      authHash,
      KDF_MIN_ITERATIONS,
      ids.map(() => sealedBlob(32)),
      ids.map(() => sealedBlob(1800)),
      ids.map(() => sealedBlob(32)),
      createdAt,
      ids.map(() => randomBytes(16).toString('base64url')),
    ],
  );
  await client.query('INSERT INTO public_keys (user_id, public_key, fingerprint, created_at) SELECT id, $2, $3, $4 FROM unnest($1::uuid[]) AS id', [ids, publicKey, fingerprint, createdAt]);
  await bindKeys(client, ids);
  if (role === 'doctor') {
    await client.query(
      `INSERT INTO clinicians (user_id, licence, organisation, status, origin, name_skeleton, requested_at, decided_at, decided_by_name, verified_at, verified_by_name, reason)
       SELECT c.id, 'GMC ' || (7000000 + c.n), 'Seed Hospital', 'approved', 'request', c.skeleton, $3, $3, 'Seed credentialing office', $3, 'Seed credentialing office', 'seeded'
         FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS c (id, skeleton, n)`,
      [ids, names.map(nameSkeleton), createdAt],
    );
  }
  return accounts;
}

/**
 * The accounts' bindings in the key directory, after every leaf there is, under the log's lock.
 * As the migration's backfill: the per-row triggers are off for the batch (their tree-row update
 * is quadratic in one transaction), the same functions compute the hashes, and the size moves once.
 * The API signs the head of the grown tree when it starts (KeyDirectory.onApplicationBootstrap).
 */
async function bindKeys(client: pg.ClientBase, userIds: readonly string[]): Promise<void> {
  const {
    rows: [lock],
  } = await client.query<{ size: string }>('SELECT size FROM key_log_lock()');
  const first = Number(lock.size);
  await client.query('ALTER TABLE key_log_leaves DISABLE TRIGGER key_log_leaves_append');
  await client.query(
    `INSERT INTO key_log_leaves (leaf_index, user_id, role, public_key, fingerprint, bound_at, leaf_hash)
     SELECT $2 + b.n - 1, b.user_id, u.role, k.public_key, k.fingerprint, date_trunc('milliseconds', k.created_at),
            key_log_leaf_hash(b.user_id, u.role, k.public_key, k.fingerprint, date_trunc('milliseconds', k.created_at))
       FROM unnest($1::uuid[]) WITH ORDINALITY AS b (user_id, n) JOIN users u ON u.id = b.user_id JOIN public_keys k ON k.user_id = b.user_id
      ORDER BY b.n`,
    [userIds, first],
  );
  await client.query('ALTER TABLE key_log_leaves ENABLE TRIGGER key_log_leaves_append');
  await client.query('UPDATE key_log_tree SET size = $1', [first + userIds.length]);
  await client.query('ALTER TABLE key_log_nodes DISABLE TRIGGER key_log_nodes_check');
  await client.query('INSERT INTO key_log_nodes (level, node_index, hash) SELECT 0, leaf_index, leaf_hash FROM key_log_leaves WHERE leaf_index >= $1 ORDER BY leaf_index', [first]);
  // Each level: the complete subtrees the new leaves completed (both children there, the parent not yet).
  const size = first + userIds.length;
  for (let level = 0; size >> (level + 1) > 0; level++) {
    await client.query(
      `INSERT INTO key_log_nodes (level, node_index, hash)
       SELECT $1 + 1, g.parent, g.hash FROM (
         SELECT n.node_index / 2 AS parent, sha256('\\x01'::bytea || string_agg(n.hash, ''::bytea ORDER BY n.node_index)) AS hash
           FROM key_log_nodes n WHERE n.level = $1 AND n.node_index >= ($2::bigint >> $1::int) / 2 * 2
          GROUP BY n.node_index / 2 HAVING count(*) = 2) g
        WHERE NOT EXISTS (SELECT 1 FROM key_log_nodes p WHERE p.level = $1 + 1 AND p.node_index = g.parent)
        ORDER BY g.parent`,
      [level, first],
    );
  }
  await client.query('ALTER TABLE key_log_nodes ENABLE TRIGGER key_log_nodes_check');
}
