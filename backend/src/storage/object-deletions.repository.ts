import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/** An object to remove once the deletion that made it unneeded has committed. */
export interface QueuedObject {
  recordId: string;
  objectKey: string;
}

/**
 * The SQL of `object_deletions` (migration 1765110000000) and of the definer
 * functions the sweep and the reconciliation use to see past RLS
 * (`due_object_deletions`, `note_object_deletion_failure`,
 * `forget_object_deletions`, `known_object_owners`).
 */
@Injectable()
export class ObjectDeletionsRepository {
  constructor(private readonly db: Db) {}

  /** Queues objects of `ownerId` (under the owner's RLS context); a key already queued stays as it is. */
  async queue(ownerId: string, objects: readonly QueuedObject[]): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO object_deletions (object_key, owner_id, record_id)
       SELECT o.object_key, $1, o.record_id FROM unnest($2::text[], $3::uuid[]) AS o (object_key, record_id)
       ON CONFLICT (object_key) DO NOTHING`,
      [ownerId, objects.map((object) => object.objectKey), objects.map((object) => object.recordId)],
    );
  }

  /** Up to `batch` queued keys, oldest first. */
  async due(batch: number): Promise<string[]> {
    const rows = await this.db.manager().query<Array<{ object_key: string }>>('SELECT object_key FROM due_object_deletions($1)', [batch]);
    return rows.map((row) => row.object_key);
  }

  async noteFailure(objectKeys: readonly string[], message: string): Promise<void> {
    await this.db.manager().query('SELECT note_object_deletion_failure($1, $2)', [objectKeys, message]);
  }

  /** The store confirmed their removal: the keys leave the queue. */
  async forget(objectKeys: readonly string[]): Promise<void> {
    await this.db.manager().query('SELECT forget_object_deletions($1)', [objectKeys]);
  }

  /** Which of these record ids a record, an upload or a queued deletion still owns. */
  async knownOwners(recordIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.manager().query<Array<{ id: string }>>('SELECT id FROM known_object_owners($1::uuid[]) AS id', [recordIds]);
    return new Set(rows.map((row) => row.id));
  }
}
