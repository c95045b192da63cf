/** Reads audit rows as an operator would (superuser, bypassing RLS). */
import type { AuditDbRow as AuditRow } from '../../src/audit/audit-row.js';
import type { TestApp } from './test-app.js';

export type { AuditRow };

export function auditRowsOf(api: TestApp, subjectId: string): Promise<AuditRow[]> {
  return api.adminQuery<AuditRow & Record<string, unknown>>('SELECT * FROM audit_events WHERE subject_id = $1 ORDER BY seq', [subjectId]);
}

/** `action:outcome` of each row, oldest first: compact to compare in tests. */
export async function auditTrailOf(api: TestApp, subjectId: string): Promise<string[]> {
  return (await auditRowsOf(api, subjectId)).map((row) => `${row.action}:${row.outcome}`);
}
