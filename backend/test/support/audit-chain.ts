import { createHash } from 'node:crypto';
import { firstBrokenAuditRow, type AuditAction, type AuditEvent, type Role } from '@phr/shared-types';
import type { AuditRow } from './audit.js';

/** An audit row as the operator reads it, in the API's shape. */
export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    subjectId: row.subject_id,
    seq: Number(row.seq),
    occurredAt: row.occurred_at.toISOString(),
    actorId: row.actor_id,
    actorRole: row.actor_role as Role | null,
    action: row.action as AuditAction,
    outcome: row.outcome,
    reason: row.reason,
    recordId: row.record_id,
    consentId: row.consent_id,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export const sha256Hex = async (text: string): Promise<string> => createHash('sha256').update(text, 'utf8').digest('hex');

/** Recomputes a subject's chain; returns the seq of the first row that does not hold, or null. */
export function firstBrokenRow(rows: AuditRow[]): Promise<number | null> {
  return firstBrokenAuditRow(rows.map(toAuditEvent), sha256Hex);
}
