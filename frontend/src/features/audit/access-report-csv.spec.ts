import { describe, expect, it } from '@jest/globals';
import type { AccessReportRow } from './access-report-rows.js';
import { accessReportCsv, csvCell } from './access-report-csv.js';
import { basisWithReason, totalsPerPerson } from './access-report-words.js';
import { winAnsiText } from './access-report-pdf.js';

function row(change: Partial<AccessReportRow>): AccessReportRow {
  return {
    seq: 7,
    hash: 'a'.repeat(64),
    occurredAt: '2026-12-01T10:00:00.000Z',
    actorId: '11111111-1111-4111-8111-111111111111',
    actorName: 'Sam Okafor',
    actorRole: 'doctor',
    recordId: '22222222-2222-4222-8222-222222222222',
    consentId: null,
    reason: 'consented doctor',
    basis: 'consent',
    recordTitle: 'Knee X-ray',
    ...change,
  };
}

describe('the access report as CSV (RFC 4180, no formulas)', () => {
  it.each(['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', '\tcmd', '\rcmd'])('prefixes %p with an apostrophe inside quotes', (value) => {
    expect(csvCell(value)).toBe(`"'${value.replace(/"/g, '""')}"`);
  });

  it('quotes every cell, doubles quotes, ends lines with CRLF, and names a deleted record and an erased reader', () => {
    const text = accessReportCsv([row({ recordTitle: null, actorName: null, reason: 'said "hi"', basis: 'other' })]);
    expect(text.split('\r\n')).toEqual([
      '"accessed_at","person","role","record","record_id","basis","reason","audit_seq","audit_hash"',
      `"2026-12-01T10:00:00.000Z","(erased account)","doctor","(deleted record)","22222222-2222-4222-8222-222222222222","other","said ""hi""","7","${'a'.repeat(64)}"`,
      '',
    ]);
  });

  it('shows an unknown reason beside the basis other, and totals per person', () => {
    expect(basisWithReason(row({ basis: 'other', reason: 'audit sampling' }))).toBe('other (audit sampling)');
    expect(basisWithReason(row({}))).toBe('consent');
    expect(totalsPerPerson([row({}), row({ seq: 8 }), row({ seq: 9, recordId: '33333333-3333-4333-8333-333333333333' })])).toEqual([{ person: 'Sam Okafor', role: 'doctor', accesses: 3, records: 2 }]);
  });

  it('writes WinAnsi text for the PDF font: Latin-1 kept, quotes made plain, anything else "?"', () => {
    expect(winAnsiText('Zoë’s “scan” – Ωmega 日本')).toBe('Zoë\'s "scan" - ?mega ??');
  });
});
