import type { AuditAction, AuditActorRole, AuditEvent } from '@phr/shared-types';

/** A row of audit_events as PostgreSQL returns it. */
export interface AuditDbRow {
  subject_id: string;
  seq: string;
  occurred_at: Date;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  outcome: 'allow' | 'deny';
  reason: string | null;
  record_id: string | null;
  consent_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export function auditRowToEvent(row: AuditDbRow): AuditEvent {
  return {
    subjectId: row.subject_id,
    seq: Number(row.seq),
    occurredAt: row.occurred_at.toISOString(),
    actorId: row.actor_id,
    actorRole: row.actor_role as AuditActorRole | null,
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
