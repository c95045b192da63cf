/** Reads audit rows as an operator would (superuser, bypassing RLS). */
import type { TestApp } from './test-app.js';

export interface AuditRow {
  subject_id: string;
  seq: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  outcome: 'allow' | 'deny';
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  record_id: string | null;
  consent_id: string | null;
  occurred_at: Date;
  prev_hash: string;
  hash: string;
}

export function auditRowsOf(api: TestApp, subjectId: string): Promise<AuditRow[]> {
  return api.adminQuery<AuditRow & Record<string, unknown>>('SELECT * FROM audit_events WHERE subject_id = $1 ORDER BY seq', [subjectId]);
}

/** `action:outcome` of each row, oldest first: compact to compare in tests. */
export async function auditTrailOf(api: TestApp, subjectId: string): Promise<string[]> {
  return (await auditRowsOf(api, subjectId)).map((row) => `${row.action}:${row.outcome}`);
}
