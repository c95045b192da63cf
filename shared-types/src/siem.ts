/**
 * GET /siem/status (operators): the stream of audit rows to the SIEM (docs/running.md
 * "Streaming audit events to a SIEM"), as every instance sees it in the database.
 */
export const SIEM_MODES = ['off', 'syslog-tls', 'ndjson'] as const;
export type SiemMode = (typeof SIEM_MODES)[number];

export interface SiemStatus {
  mode: SiemMode;
  /** host:port of the syslog receiver, or the NDJSON file's path; null when off. */
  destination: string | null;
  /** Audit rows committed and not yet shipped (the lag in rows). */
  pendingRows: number;
  /** When the oldest of them was marked (the lag in time); null when none is pending. */
  oldestPendingAt: string | null;
  /** Rows shipped since the stream began (a row sent again after a failure counts again). */
  shippedRows: number;
  /** The last row shipped, and when; null before the first. */
  lastShipped: { subjectId: string; seq: number; at: string } | null;
  /** The last failure (kept after a later success: compare `at` with lastShipped.at); null if none. */
  lastError: { message: string; at: string } | null;
}
