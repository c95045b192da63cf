import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { segmentObjectKeys } from '../records/object-keys.js';
import { RecordsRepository } from '../access/records.repository.js';
import { SharesEndedByDeletion } from '../access/shares-ended-by-deletion.js';

const BATCH = 100;

/**
 * Empties the trash (docs/protocol.md "Trash"): a record in it longer than the
 * retention (TRASH_RETENTION_SECONDS, 30 days) loses its rows and wraps and
 * has its objects queued in one transaction under the patient's RLS context,
 * then the queue is drained (ObjectDeletions), as a deletion by the owner
 * does. The trail keeps both steps: `record.trash` by the patient,
 * `record.purge` by actor `system`.
 */
@Injectable()
export class TrashSweeper {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly deletions: ObjectDeletions,
    private readonly audit: AuditService,
    private readonly records: RecordsRepository,
    private readonly sharesEnded: SharesEndedByDeletion,
  ) {}

  /** Purges what went to the trash before `now` minus the retention; returns the record ids purged. */
  async sweep(now: Date = new Date()): Promise<string[]> {
    const before = new Date(now.getTime() - this.config.records.trashRetentionSeconds * 1000);
    const due = await this.db.runAsJob('trash-purge', ANONYMOUS, async () => await this.records.trashedDue(before, BATCH));
    const purged: string[] = [];
    for (const candidate of due) {
      await this.db.runAsJob('trash-purge', { userId: candidate.ownerId, role: 'patient' }, async () => {
        // Asked again in this transaction: the owner may have restored it or deleted it since.
        const record = await this.records.find(candidate.recordId);
        if (!record?.trashedAt || record.trashedAt >= before) return;
        const keys = segmentObjectKeys(record.id, record.size, record.chunkBytes);
        await this.sharesEnded.ofRecord(record.ownerId, record.id, 'purged from the trash');
        await this.records.delete(record.id);
        await this.deletions.queue(record.ownerId, keys.map((objectKey) => ({ recordId: record.id, objectKey })));
        await this.audit.allow({ subjectId: record.ownerId, action: 'record.purge', recordId: record.id, reason: `in the trash since ${record.trashedAt.toISOString()}; deleted` });
        purged.push(record.id);
      });
    }
    if (purged.length > 0) await this.deletions.drain();
    return purged;
  }
}
