import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { StorageService } from '../storage/storage.service.js';
import { segmentObjectKeys } from './object-keys.js';

const BATCH = 100;

/**
 * Removes uploads never committed (DESIGN 5): once their URLs expired and a
 * grace period passed, their objects go first, then their rows, so a crash
 * between the two leaves a row to retry, never an object without a row.
 */
@Injectable()
export class UploadSweeper {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly storage: StorageService,
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
      await this.storage.remove(segmentObjectKeys(upload.record_id, Number(upload.size), upload.chunk_bytes));
      await this.db.runAsJob('upload-sweep', ANONYMOUS, async () => {
        await this.db.manager().query('SELECT forget_upload($1)', [upload.record_id]);
        await this.audit.allow({ subjectId: upload.owner_id, action: 'record.upload-expired', recordId: upload.record_id, reason: 'never committed; removed' });
      });
    }
    return expired.map((upload) => upload.record_id);
  }
}
