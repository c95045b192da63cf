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
  const line = (cells: string[]): string => cells.map(quoted).join(',');
  return [line(COLUMNS), ...rows.map((row) => line(COLUMNS.map((column) => text(row[column]))))].join('\r\n') + '\r\n';
}

function text(value: AuditEvent[keyof AuditEvent]): string {
  const plain = value === null ? '' : String(value);
  return /^[=+\-@\t\r]/.test(plain) ? `'${plain}` : plain;
}

function quoted(cell: string): string {
  return `"${cell.replace(/"/g, '""')}"`;
}
