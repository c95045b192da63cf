/**
 * The access report as CSV (RFC 4180; docs/protocol.md "Access report"): CRLF line ends, every
 * cell quoted, quotes doubled, and a cell a spreadsheet would take for a formula (=, +, -, @,
 * tab, carriage return first) prefixed with an apostrophe.
 */
import { ACCESS_REPORT_CSV_COLUMNS } from '@phr/shared-types';
import type { AccessReportRow } from './access-report-rows.js';
import { basisWord, personWord, recordWord } from './access-report-words.js';

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function accessReportCsv(rows: readonly AccessReportRow[]): string {
  const lines = [ACCESS_REPORT_CSV_COLUMNS.map(csvCell).join(',')];
  for (const row of rows) {
    lines.push(
      [row.occurredAt, personWord(row), row.actorRole ?? '', recordWord(row), row.recordId, basisWord(row.basis), row.reason ?? '', String(row.seq), row.hash].map(csvCell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
