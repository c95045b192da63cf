import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { segmentObjectKeys } from '../records/object-keys.js';
import { UploadsRepository } from '../access/uploads.repository.js';

const BATCH = 100;

/**
 * Removes uploads never committed (DESIGN 5): once their URLs expired and a
 * grace period passed, the row goes and its objects are queued in one
 * transaction (expire_upload), then the queue is drained (ObjectDeletions):
 * a crash anywhere leaves either the upload or its queued objects to retry.
 */
@Injectable()
export class UploadSweeper {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly deletions: ObjectDeletions,
    private readonly audit: AuditService,
    private readonly uploads: UploadsRepository,
  ) {}

  /** Sweeps what expired before `now` minus the grace period; returns the record ids removed. */
  async sweep(now: Date = new Date()): Promise<string[]> {
    const before = new Date(now.getTime() - this.config.records.uploadGraceSeconds * 1000);
    const expired = await this.db.runAsJob('upload-sweep', ANONYMOUS, async () => {
      return await this.uploads.expiredBatch(before, BATCH);
    });
    for (const upload of expired) {
      await this.db.runAsJob('upload-sweep', ANONYMOUS, async () => {
        const keys = segmentObjectKeys(upload.recordId, upload.size, upload.chunkBytes);
        await this.uploads.expire(upload.recordId, keys);
        await this.audit.allow({ subjectId: upload.ownerId, action: 'record.upload-expired', recordId: upload.recordId, reason: 'never committed; removed' });
      });
    }
    if (expired.length > 0) await this.deletions.drain();
    return expired.map((upload) => upload.recordId);
  }
}
