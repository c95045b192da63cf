import { Inject, Injectable } from '@nestjs/common';
import type { SiemStatus } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SiemShipper } from './siem-shipper.js';
import { SiemRepository } from './siem.repository.js';

@Injectable()
export class SiemService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly siem: SiemRepository,
    private readonly shipper: SiemShipper,
  ) {}

  /** The stream's state as the database holds it (every instance answers the same), with this instance's mode. */
  async status(): Promise<SiemStatus> {
    const row = await this.siem.status();
    return {
      mode: this.config.siem.mode,
      destination: this.shipper.destination,
      pendingRows: Number(row.pending_rows),
      oldestPendingAt: row.oldest_pending_at?.toISOString() ?? null,
      shippedRows: Number(row.shipped_rows),
      lastShipped:
        row.last_subject_id !== null && row.last_seq !== null && row.last_shipped_at !== null
          ? { subjectId: row.last_subject_id, seq: Number(row.last_seq), at: row.last_shipped_at.toISOString() }
          : null,
      lastError: row.last_error !== null && row.last_error_at !== null ? { message: row.last_error, at: row.last_error_at.toISOString() } : null,
    };
  }
}
