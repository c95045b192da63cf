import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { segmentObjectKeys } from '../records/object-keys.js';

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
  ) {}

  /** Sweeps what expired before `now` minus the grace period; returns the record ids removed. */
  async sweep(now: Date = new Date()): Promise<string[]> {
    const before = new Date(now.getTime() - this.config.records.uploadGraceSeconds * 1000);
    const expired = await this.db.runAsJob('upload-sweep', ANONYMOUS, async () => {
      return await this.db.manager().query<Array<{
        record_id: string;
        owner_id: string;
        size: string;
        chunk_bytes: number;
      }>>('SELECT record_id, owner_id, size, chunk_bytes FROM expired_uploads($1, $2)', [before, BATCH]);
    });
    for (const upload of expired) {
      await this.db.runAsJob('upload-sweep', ANONYMOUS, async () => {
        const keys = segmentObjectKeys(upload.record_id, Number(upload.size), upload.chunk_bytes);
        await this.db.manager().query('SELECT expire_upload($1, $2)', [upload.record_id, keys]);
        await this.audit.allow({ subjectId: upload.owner_id, action: 'record.upload-expired', recordId: upload.record_id, reason: 'never committed; removed' });
      });
    }
    if (expired.length > 0) await this.deletions.drain();
    return expired.map((upload) => upload.record_id);
  }
}
