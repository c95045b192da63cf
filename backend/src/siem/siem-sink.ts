import type { AuditEvent } from '@phr/shared-types';

/** A destination of the stream: `write` resolves once the batch is handed over (TLS write flushed, or file fsync'd). */
export interface SiemSink {
  /** Where the rows go, for the status route: host:port or the file's path. */
  readonly destination: string;
  write(rows: readonly AuditEvent[]): Promise<void>;
  close(): Promise<void>;
}
