import { createHash } from 'node:crypto';
import { AUDIT_GENESIS_HASH, auditHashInput, type AuditAction, type Role } from '@phr/shared-types';
import type { AuditRow } from './audit.js';

/** Recomputes a subject's chain; returns the seq of the first row that does not hold, or null. */
export function firstBrokenRow(rows: AuditRow[]): number | null {
  let prevHash = AUDIT_GENESIS_HASH;
  for (const [index, row] of rows.entries()) {
    const seq = Number(row.seq);
    const expected = createHash('sha256')
      .update(
        auditHashInput(prevHash, {
          subjectId: row.subject_id,
          seq,
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
        }),
      )
      .digest('hex');
    if (seq !== index + 1 || row.prev_hash !== prevHash || row.hash !== expected) return seq;
    prevHash = row.hash;
  }
  return null;
}
