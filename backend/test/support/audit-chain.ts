import { createHash } from 'node:crypto';
import { firstBrokenAuditRow } from '@phr/shared-types';
import { auditRowToEvent } from '../../src/audit/audit-row.js';
import type { AuditRow } from './audit.js';

export const sha256Hex = async (text: string): Promise<string> => createHash('sha256').update(text, 'utf8').digest('hex');

/** Recomputes a subject's chain; returns the seq of the first row that does not hold, or null. */
export function firstBrokenRow(rows: AuditRow[]): Promise<number | null> {
  return firstBrokenAuditRow(rows.map(auditRowToEvent), sha256Hex);
}
