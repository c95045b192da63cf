/**
 * The rows of the access report (docs/protocol.md "Access report"): every page the server gives
 * for the period, each checked against the patient's own chain verified here from genesis to
 * its head (DESIGN 7): a row the chain does not hold, with that seq and hash, as that read by
 * that person of that record at that time, stops the report. Titles come from the records the
 * report names, looked up by id and decrypted in this browser; a record no longer there is named
 * as deleted.
 */
import type { AccessReportEntry, AuditEvent } from '@phr/shared-types';
import type { AuditApi } from '../../api/audit.js';
import { fetchVerifiedTrail } from './own-chain.js';
import { everyPage } from '../../api/every-page.js';

export interface AccessReportRow extends AccessReportEntry {
  /** The decrypted title, or null for a record that no longer exists (or can no longer be opened). */
  recordTitle: string | null;
}

export class UnverifiedReportError extends Error {}

export async function fetchAccessReportRows(
  audit: AuditApi,
  patientId: string,
  from: string,
  to: string,
  titlesOf: (recordIds: readonly string[]) => Promise<ReadonlyMap<string, string>>,
): Promise<AccessReportRow[]> {
  const entries = await everyPage((cursor) => audit.accessReport({ from, to, cursor, limit: 500 }));
  const trail = await fetchVerifiedTrail(audit, patientId);
  if (trail.firstBrokenSeq !== null) throw new UnverifiedReportError(`Your audit trail does not verify (entry ${trail.firstBrokenSeq}): no report was made`);
  const bySeq = new Map(trail.events.map((row) => [row.seq, row]));
  for (const entry of entries) {
    if (!isSameRead(entry, bySeq.get(entry.seq))) throw new UnverifiedReportError(`The server's entry ${entry.seq} is not in your verified trail: no report was made`);
  }
  const titles = await titlesOf(entries.map((entry) => entry.recordId));
  return entries.map((entry) => ({ ...entry, recordTitle: titles.get(entry.recordId) ?? null }));
}

function isSameRead(entry: AccessReportEntry, row: AuditEvent | undefined): boolean {
  return (
    row !== undefined &&
    row.hash === entry.hash &&
    row.action === 'record.read' &&
    row.outcome === 'allow' &&
    row.actorId === entry.actorId &&
    row.recordId === entry.recordId &&
    row.occurredAt === entry.occurredAt &&
    row.reason === entry.reason
  );
}
