import { Injectable } from '@nestjs/common';
import { KEY_ROTATION_NEXT_ROWS, type PendingKeyRotation, type RotatedFolderName, type RotatedOwnerWrap, type RotationCount } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import { prepared } from '../db/prepared-statements.js';

/** The generation in force and the rotation under way, if any. */
export interface KeyGenerationRow {
  keyGeneration: number;
  rotation: (PendingKeyRotation & { batches: number; startedAt: Date }) | null;
}

/** The new key's wraps of a finished rotation, and the recovery that replaces the old one. */
export interface RotatedCredentials {
  generation: number;
  wrappedAccountKey: string;
  wrappedPrivateKey: string;
  recoveryAuthHash: string;
  recoveryWrappedAccountKey: string;
}

/**
 * The SQL of account-key rotation: `account_key_rotations`, and the
 * `key_generation` columns of `credentials`, `record_wraps` (owner wraps only)
 * and `folders`. Every statement runs in the request's transaction under the
 * caller's RLS context, so it sees and changes only the caller's rows.
 */
@Injectable()
export class KeyRotationRepository {
  constructor(private readonly db: Db) {}

  /**
   * The caller's generation and rotation, with the credentials row locked:
   * `share` for a write sealed under the account key (a commit, a folder name),
   * so no rotation starts or finishes between its check and its insert;
   * `update` for the rotation's own steps, which then run one at a time.
   */
  async lock(userId: string, mode: 'share' | 'update'): Promise<KeyGenerationRow | null> {
    const [row] = await this.db.manager().query<Array<{
      key_generation: number;
      generation: number | null;
      wrapped_account_key: string | null;
      wrapped_private_key: string | null;
      batches: number | null;
      started_at: Date | null;
    }>>(
      prepared(`SELECT c.key_generation, r.generation, r.wrapped_account_key, r.wrapped_private_key, r.batches, r.started_at
         FROM credentials c LEFT JOIN account_key_rotations r ON r.user_id = c.user_id
        WHERE c.user_id = $1
        FOR ${mode === 'share' ? 'SHARE' : 'UPDATE'} OF c`),
      [userId],
    );
    if (!row) return null;
    const rotation =
      row.generation === null
        ? null
        : {
            generation: row.generation,
            wrappedAccountKey: row.wrapped_account_key as string,
            wrappedPrivateKey: row.wrapped_private_key as string,
            batches: row.batches as number,
            startedAt: row.started_at as Date,
          };
    return { keyGeneration: row.key_generation, rotation };
  }

  async start(userId: string, rotation: PendingKeyRotation): Promise<void> {
    await this.db
      .manager()
      .query('INSERT INTO account_key_rotations (user_id, generation, wrapped_account_key, wrapped_private_key) VALUES ($1, $2, $3, $4)', [
        userId,
        rotation.generation,
        rotation.wrappedAccountKey,
        rotation.wrappedPrivateKey,
      ]);
  }

  async countBatch(userId: string): Promise<void> {
    await this.db.manager().query('UPDATE account_key_rotations SET batches = batches + 1 WHERE user_id = $1', [userId]);
  }

  /** Owner wraps and folder names under `generation` (done) and under older ones (remaining). */
  async counts(userId: string, generation: number): Promise<{ ownerWraps: RotationCount; folders: RotationCount }> {
    const [row] = await this.db.manager().query<Array<Record<'wraps_done' | 'wraps_left' | 'folders_done' | 'folders_left', string>>>(
      `SELECT (SELECT count(*) FROM record_wraps WHERE owner_id = $1 AND recipient_id = $1 AND key_generation = $2) AS wraps_done,
              (SELECT count(*) FROM record_wraps WHERE owner_id = $1 AND recipient_id = $1 AND key_generation < $2) AS wraps_left,
              (SELECT count(*) FROM folders WHERE owner_id = $1 AND key_generation = $2) AS folders_done,
              (SELECT count(*) FROM folders WHERE owner_id = $1 AND key_generation < $2) AS folders_left`,
      [userId, generation],
    );
    return {
      ownerWraps: { done: Number(row.wraps_done), remaining: Number(row.wraps_left) },
      folders: { done: Number(row.folders_done), remaining: Number(row.folders_left) },
    };
  }

  /** The oldest rows still under a generation before `generation`, at most KEY_ROTATION_NEXT_ROWS of each kind. */
  async nextRows(userId: string, generation: number): Promise<{ ownerWraps: RotatedOwnerWrap[]; folders: RotatedFolderName[] }> {
    const manager = this.db.manager();
    const wraps = await manager.query<Array<{ record_id: string; wrap: string }>>(
      `SELECT record_id, wrap FROM record_wraps
        WHERE owner_id = $1 AND recipient_id = $1 AND key_generation < $2
        ORDER BY created_at, record_id LIMIT $3`,
      [userId, generation, KEY_ROTATION_NEXT_ROWS],
    );
    const folders = await manager.query<Array<{ id: string; name: string }>>(
      'SELECT id, name FROM folders WHERE owner_id = $1 AND key_generation < $2 ORDER BY created_at, id LIMIT $3',
      [userId, generation, KEY_ROTATION_NEXT_ROWS],
    );
    return {
      ownerWraps: wraps.map((row) => ({ recordId: row.record_id, wrap: row.wrap })),
      folders: folders.map((row) => ({ folderId: row.id, name: row.name })),
    };
  }

  /** The generation of each of the caller's owner wraps named (absent: no such wrap of the caller's). */
  async ownerWrapGenerations(userId: string, recordIds: string[]): Promise<Map<string, number>> {
    const rows = await this.db
      .manager()
      .query<Array<{ record_id: string; key_generation: number }>>(
        'SELECT record_id, key_generation FROM record_wraps WHERE owner_id = $1 AND recipient_id = $1 AND record_id = ANY($2::uuid[])',
        [userId, recordIds],
      );
    return new Map(rows.map((row) => [row.record_id, row.key_generation]));
  }

  async folderGenerations(userId: string, folderIds: string[]): Promise<Map<string, number>> {
    const rows = await this.db
      .manager()
      .query<Array<{ id: string; key_generation: number }>>('SELECT id, key_generation FROM folders WHERE owner_id = $1 AND id = ANY($2::uuid[])', [userId, folderIds]);
    return new Map(rows.map((row) => [row.id, row.key_generation]));
  }

  /** Replaces an owner wrap still under an older generation; false when it is not (any more). */
  async resealOwnerWrap(userId: string, wrap: RotatedOwnerWrap, generation: number): Promise<boolean> {
    const [rows] = await this.db
      .manager()
      .query<[unknown[], number]>(
        'UPDATE record_wraps SET wrap = $3, key_generation = $4 WHERE owner_id = $1 AND recipient_id = $1 AND record_id = $2 AND key_generation < $4 RETURNING record_id',
        [userId, wrap.recordId, wrap.wrap, generation],
      );
    return rows.length === 1;
  }

  async resealFolderName(userId: string, folder: RotatedFolderName, generation: number): Promise<boolean> {
    const [rows] = await this.db
      .manager()
      .query<[unknown[], number]>('UPDATE folders SET name = $3, key_generation = $4 WHERE owner_id = $1 AND id = $2 AND key_generation < $4 RETURNING id', [
        userId,
        folder.folderId,
        folder.name,
        generation,
      ]);
    return rows.length === 1;
  }

  /** The finish: the new key's wraps and the new recovery take the old ones' place, and the rotation row goes. */
  /** The break-glass key check, sealed under the account key (emergency_setups.key_check), or null when there is none. */
  async emergencyKeyCheck(userId: string): Promise<string | null> {
    const [row] = await this.db.manager().query<Array<{ key_check: string | null }>>('SELECT key_check FROM emergency_setups WHERE patient_id = $1', [userId]);
    return row?.key_check ?? null;
  }

  async replaceEmergencyKeyCheck(userId: string, keyCheck: string): Promise<void> {
    await this.db.manager().query('UPDATE emergency_setups SET key_check = $2 WHERE patient_id = $1', [userId, keyCheck]);
  }

  async finish(userId: string, rotated: RotatedCredentials): Promise<void> {
    const manager = this.db.manager();
    await manager.query(
      `UPDATE credentials SET key_generation = $2, wrapped_account_key = $3, wrapped_private_key = $4,
              recovery_auth_hash = $5, recovery_wrapped_account_key = $6, updated_at = now()
        WHERE user_id = $1`,
      [userId, rotated.generation, rotated.wrappedAccountKey, rotated.wrappedPrivateKey, rotated.recoveryAuthHash, rotated.recoveryWrappedAccountKey],
    );
    await manager.query('DELETE FROM account_key_rotations WHERE user_id = $1', [userId]);
  }
}
