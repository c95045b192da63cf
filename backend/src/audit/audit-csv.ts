import type { AuditEvent } from '@phr/shared-types';

const COLUMNS: Array<keyof AuditEvent> = [
  'occurredAt', 'subjectId', 'seq', 'actorId', 'actorRole', 'action', 'outcome', 'reason',
  'recordId', 'consentId', 'ip', 'userAgent', 'requestId', 'prevHash', 'hash',
];

/**
 * RFC 4180 CSV, safe to open in a spreadsheet (CSV injection). Every cell is quoted: a spreadsheet
 * in a locale whose list separator is `;` splits an unquoted `x;=1+2;y` into
 * cells and runs the middle one as a formula; inside quotes no separator
 * splits. A cell that would itself start a formula (= + - @, a tab or a
 * carriage return) is also prefixed with an apostrophe.
 */
export function auditCsv(rows: AuditEvent[]): string {
  return auditCsvHeader() + auditCsvLines(rows);
}

/** The header line, for a CSV written in parts. */
export function auditCsvHeader(): string {
  return line(COLUMNS) + '\r\n';
}

/** The lines of these rows, each ended by CRLF. */
export function auditCsvLines(rows: AuditEvent[]): string {
  return rows.map((row) => line(COLUMNS.map((column) => text(row[column]))) + '\r\n').join('');
}

function line(cells: string[]): string {
  return cells.map(quoted).join(',');
}

function text(value: AuditEvent[keyof AuditEvent]): string {
  const plain = value === null ? '' : String(value);
  return /^[=+\-@\t\r]/.test(plain) ? `'${plain}` : plain;
}

function quoted(cell: string): string {
  return `"${cell.replace(/"/g, '""')}"`;
}
