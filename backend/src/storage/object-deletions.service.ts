import { Injectable, Logger } from '@nestjs/common';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ObjectDeletionsRepository, type QueuedObject } from './object-deletions.repository.js';
import { StorageService } from './storage.service.js';

export type { QueuedObject };

const BATCH = 100;

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
    private readonly deletions: ObjectDeletionsRepository,
    private readonly storage: StorageService,
  ) {}

  /** Queues objects of `ownerId` in the current transaction (under the owner's RLS context). */
  async queue(ownerId: string, objects: QueuedObject[]): Promise<void> {
    if (objects.length === 0) return;
    await this.deletions.queue(ownerId, objects);
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
      await this.db.transaction(() => this.deletions.forget(objectKeys));
    } catch (error) {
      this.logger.warn(`${objectKeys.length} object(s) stay queued for the sweep: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The sweep: removes queued objects, oldest first, until none is left or the store fails. Returns how many went. */
  async drain(): Promise<number> {
    let removed = 0;
    for (;;) {
      const keys = await this.db.runAsJob('object-deletion', ANONYMOUS, () => this.deletions.due(BATCH));
      if (keys.length === 0) return removed;
      try {
        await this.storage.remove(keys);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await this.db.runAsJob('object-deletion', ANONYMOUS, () => this.deletions.noteFailure(keys, message));
        throw error;
      }
      await this.db.runAsJob('object-deletion', ANONYMOUS, () => this.deletions.forget(keys));
      removed += keys.length;
      if (keys.length < BATCH) return removed;
    }
  }
}
