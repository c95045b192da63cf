/** How the access report names what the server gives by code. */
import type { DisclosureBasis } from '@phr/shared-types';
import type { AccessReportRow } from './access-report-rows.js';

const BASIS_WORDS: Readonly<Record<DisclosureBasis, string>> = {
  consent: 'consent',
  emergency: 'emergency',
  'trusted-contact': 'trusted contact',
  other: 'other',
};

export function basisWord(basis: DisclosureBasis): string {
  return BASIS_WORDS[basis];
}

export function personWord(row: Pick<AccessReportRow, 'actorName'>): string {
  return row.actorName ?? '(erased account)';
}

export function recordWord(row: Pick<AccessReportRow, 'recordTitle'>): string {
  return row.recordTitle ?? '(deleted record)';
}

/** The basis with the raw reason beside it when it is none of the known ones. */
export function basisWithReason(row: Pick<AccessReportRow, 'basis' | 'reason'>): string {
  return row.basis === 'other' && row.reason ? `other (${row.reason})` : basisWord(row.basis);
}

/** Accesses and distinct records per person, most accesses first. */
export function totalsPerPerson(rows: readonly AccessReportRow[]): Array<{ person: string; role: string; accesses: number; records: number }> {
  const totals = new Map<string, { person: string; role: string; accesses: number; records: Set<string> }>();
  for (const row of rows) {
    const total = totals.get(row.actorId) ?? { person: personWord(row), role: row.actorRole ?? '', accesses: 0, records: new Set<string>() };
    total.accesses += 1;
    total.records.add(row.recordId);
    totals.set(row.actorId, total);
  }
  return [...totals.values()].map((total) => ({ person: total.person, role: total.role, accesses: total.accesses, records: total.records.size })).sort((a, b) => b.accesses - a.accesses || a.person.localeCompare(b.person));
}
