import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ObjectDeletionsRepository } from '../storage/object-deletions.repository.js';
import { StorageService, type StoredObject } from '../storage/storage.service.js';

/** Object keys are `records/<recordId>/<segment>` (records/object-keys.ts). */
const PREFIX = 'records/';
const KEY = /^records\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/\d+$/;

export interface ReconciliationResult {
  listed: number;
  removed: string[];
}

/**
 * Removes objects that no row owns (issue 11): a pre-signed PUT URL stays
 * valid for its lifetime, so after a record or an account is deleted (or an
 * upload swept) the URL can create an object again, and nothing else would
 * ever remove it. The store is listed page by page; an object whose record id
 * has no record, no upload and no queued deletion, and that is older than the
 * longest upload URL, is removed. An object is only ever written through a
 * URL issued after its upload row existed, so a younger object is never
 * taken for an orphan.
 */
@Injectable()
export class OrphanReconciler {
  private readonly logger = new Logger('Reconciliation');
  private readonly minimumAgeMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly db: Db,
    private readonly deletions: ObjectDeletionsRepository,
    private readonly storage: StorageService,
  ) {
    this.minimumAgeMs = config.records.uploadUrlSeconds * 1000;
  }

  async reconcile(now: Date = new Date()): Promise<ReconciliationResult> {
    const result: ReconciliationResult = { listed: 0, removed: [] };
    let token = '';
    do {
      const page = await this.storage.listPage(PREFIX, token);
      result.listed += page.objects.length;
      const orphans = await this.orphansOf(page.objects, now);
      if (orphans.length) {
        await this.storage.remove(orphans);
        result.removed.push(...orphans);
      }
      token = page.nextToken ?? '';
    } while (token);
    if (result.removed.length) this.logger.warn(`Removed ${result.removed.length} object(s) that no record, upload or deletion owned`);
    return result;
  }

  private async orphansOf(objects: StoredObject[], now: Date): Promise<string[]> {
    const old = objects.filter((object) => now.getTime() - object.lastModified.getTime() > this.minimumAgeMs);
    const ids = [...new Set(old.map((object) => KEY.exec(object.key)?.[1]).filter((id): id is string => id !== undefined))];
    if (ids.length === 0) return [];
    const owned = await this.db.runAsJob('reconciliation', ANONYMOUS, () => this.deletions.knownOwners(ids));
    // Keys of another shape under records/ were not written by this API: they are left alone.
    return old.filter((object) => {
      const id = KEY.exec(object.key)?.[1];
      return id !== undefined && !owned.has(id);
    }).map((object) => object.key);
  }
}
