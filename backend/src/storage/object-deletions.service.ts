import { Injectable, Logger } from '@nestjs/common';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { StorageService } from './storage.service.js';

const BATCH = 100;

export interface QueuedObject {
  recordId: string;
  objectKey: string;
}

/**
 * Removes objects only once the deletion that made them unneeded has
 * committed (migration 1765110000000): a transaction queues the keys, the
 * request removes them after its commit where the store lets it, and the
 * sweep retries whatever is left (a crash, a store that was down). So a record
 * is never listed without its content, and no object of a deleted record
 * stays for longer than the store is unavailable.
 */
@Injectable()
export class ObjectDeletions {
  private readonly logger = new Logger('ObjectDeletions');

  constructor(
    private readonly db: Db,
    private readonly storage: StorageService,
  ) {}

  /** Queues objects of `ownerId` in the current transaction (under the owner's RLS context). */
  async queue(ownerId: string, objects: QueuedObject[]): Promise<void> {
    if (objects.length === 0) return;
    await this.db.manager().query(
      `INSERT INTO object_deletions (object_key, owner_id, record_id)
       SELECT o.object_key, $1, o.record_id FROM unnest($2::text[], $3::uuid[]) AS o (object_key, record_id)
       ON CONFLICT (object_key) DO NOTHING`,
      [ownerId, objects.map((object) => object.objectKey), objects.map((object) => object.recordId)],
    );
  }

  /**
   * After the commit of a request (@OwnTransactions): removes the objects it
   * queued, as far as the store allows now. A failure is left to the sweep;
   * the request has already done what it promised.
   */
  async removeNow(objectKeys: string[]): Promise<void> {
    if (objectKeys.length === 0) return;
    try {
      await this.storage.remove(objectKeys);
      await this.db.transaction(() => this.forget(objectKeys));
    } catch (error) {
      this.logger.warn(`${objectKeys.length} object(s) stay queued for the sweep: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The sweep: removes queued objects, oldest first, until none is left or the store fails. Returns how many went. */
  async drain(): Promise<number> {
    let removed = 0;
    for (;;) {
      const due = await this.db.runAsJob('object-deletion', ANONYMOUS, () =>
        this.db.manager().query<Array<{ object_key: string }>>('SELECT object_key FROM due_object_deletions($1)', [BATCH]),
      );
      const keys = due.map((row) => row.object_key);
      if (keys.length === 0) return removed;
      try {
        await this.storage.remove(keys);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await this.db.runAsJob('object-deletion', ANONYMOUS, () => this.db.manager().query('SELECT note_object_deletion_failure($1, $2)', [keys, message]));
        throw error;
      }
      await this.db.runAsJob('object-deletion', ANONYMOUS, () => this.forget(keys));
      removed += keys.length;
      if (keys.length < BATCH) return removed;
    }
  }

  private async forget(objectKeys: string[]): Promise<void> {
    await this.db.manager().query('SELECT forget_object_deletions($1)', [objectKeys]);
  }
}
