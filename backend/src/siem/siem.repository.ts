import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';
import type { AuditDbRow } from '../audit/audit-row.js';

/** Any number, the same in every instance: the lock that lets one instance ship at a time. */
const SHIPPER_LOCK_KEY = 1_765_930_000;

export interface SiemStatusRow {
  pending_rows: string;
  oldest_pending_at: Date | null;
  shipped_rows: string;
  last_subject_id: string | null;
  last_seq: string | null;
  last_shipped_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
}

/**
 * The SQL of the SIEM stream (migration 1765930000000): SECURITY DEFINER functions over the
 * marks, the per-subject cursors and the progress row, which the application role cannot
 * reach otherwise.
 */
@Injectable()
export class SiemRepository {
  constructor(private readonly db: Db) {}

  /** Whether this transaction is now the one shipper (the lock ends with the transaction). */
  async takeShipperLock(): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ is_locked: boolean }>>('SELECT pg_try_advisory_xact_lock($1) AS is_locked', [SHIPPER_LOCK_KEY]);
    return row?.is_locked ?? false;
  }

  async pending(limit: number): Promise<AuditDbRow[]> {
    return await this.db.manager().query<AuditDbRow[]>('SELECT * FROM siem_pending($1)', [limit]);
  }

  /** Each subject shipped with its last seq shipped, in shipping order; `rows` shipped in all. */
  async markShipped(subjects: string[], seqs: number[], rows: number): Promise<void> {
    await this.db.manager().query('SELECT siem_shipped($1::uuid[], $2::bigint[], $3)', [subjects, seqs, rows]);
  }

  async noteFailure(message: string): Promise<void> {
    await this.db.manager().query('SELECT siem_failed($1)', [message]);
  }

  async status(): Promise<SiemStatusRow> {
    const [row] = await this.db.manager().query<SiemStatusRow[]>('SELECT * FROM siem_status()');
    if (!row) throw new Error('siem_progress has no row');
    return row;
  }
}
