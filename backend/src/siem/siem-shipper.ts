import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { AuditEvent } from '@phr/shared-types';
import { auditRowToEvent } from '../audit/audit-row.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { NdjsonSink } from './ndjson-sink.js';
import type { SiemSink } from './siem-sink.js';
import { SiemRepository } from './siem.repository.js';
import { SyslogTlsSink } from './syslog-tls-sink.js';

/** What one run did: rows shipped, or that another instance holds the shipper's lock. */
export interface ShipResult {
  shipped: number;
  isOtherInstanceShipping: boolean;
}

/**
 * Ships new audit rows to the SIEM (docs/running.md "Streaming audit events to a SIEM"). Each
 * batch is one transaction: the shipper's advisory lock (one instance ships at a time; the
 * others find it taken and wait for their next turn), the next rows (siem_pending), the write
 * to the destination, then the cursors (siem_shipped). A write that fails rolls the batch back:
 * the same rows go again, after a wait that doubles up to SIEM_MAX_BACKOFF_MS. A crash between
 * a write and its COMMIT sends that batch twice: delivery is at least once, and
 * (subject, seq) is the key that tells a repeat.
 */
@Injectable()
export class SiemShipper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Siem');
  private readonly sink: SiemSink | null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ShipResult> | null = null;
  private isStopped = false;
  private failures = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly siem: SiemRepository,
  ) {
    const stream = config.siem;
    this.sink = stream.mode === 'syslog-tls' ? new SyslogTlsSink(stream) : stream.mode === 'ndjson' ? new NdjsonSink(stream) : null;
  }

  /** host:port or the file; null when streaming is off. */
  get destination(): string | null {
    return this.sink?.destination ?? null;
  }

  onApplicationBootstrap(): void {
    if (this.sink) this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.sink?.close();
  }

  /** Ships until nothing is pending (or another instance ships); a call while a run is under way waits for it. Rejects on a failed batch. */
  run(): Promise<ShipResult> {
    this.running ??= this.shipAll().finally(() => (this.running = null));
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.isStopped || this.config.siem.mode === 'off') return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.config.siem.mode === 'off') return;
    const { intervalMs, maxBackoffMs } = this.config.siem;
    try {
      await this.run();
      this.failures = 0;
      this.schedule(intervalMs);
    } catch {
      // shipBatch logged it and noted it for the status route.
      this.failures++;
      this.schedule(Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(this.failures, 30)));
    }
  }

  private async shipAll(): Promise<ShipResult> {
    let shipped = 0;
    for (;;) {
      const batch = await this.shipBatch();
      if (batch === null) return { shipped, isOtherInstanceShipping: true };
      shipped += batch;
      if (batch === 0 || this.config.siem.mode === 'off' || batch < this.config.siem.batchSize) return { shipped, isOtherInstanceShipping: false };
    }
  }

  /** Rows shipped in one transaction; null when another instance holds the lock. */
  private async shipBatch(): Promise<number | null> {
    const sink = this.sink;
    if (!sink || this.config.siem.mode === 'off') return 0;
    const batchSize = this.config.siem.batchSize;
    try {
      return await this.db.runAsJob('siem', ANONYMOUS, async () => {
        if (!(await this.siem.takeShipperLock())) return null;
        const rows = (await this.siem.pending(batchSize)).map(auditRowToEvent);
        if (rows.length === 0) return 0;
        await sink.write(rows);
        const last = lastSeqOfEachSubject(rows);
        await this.siem.markShipped([...last.keys()], [...last.values()], rows.length);
        return rows.length;
      });
    } catch (error) {
      const message = `${sink.destination}: ${error instanceof Error ? error.message : String(error)}`;
      this.logger.error(`SIEM stream failed: ${message}`);
      await this.db.runAsJob('siem-failure', ANONYMOUS, () => this.siem.noteFailure(message)).catch(() => undefined);
      throw error;
    }
  }
}

/** Subject → its last seq in the batch, in the order the subjects were shipped. */
function lastSeqOfEachSubject(rows: readonly AuditEvent[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const row of rows) {
    last.delete(row.subjectId);
    last.set(row.subjectId, row.seq);
  }
  return last;
}
