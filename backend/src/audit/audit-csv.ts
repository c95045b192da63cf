import type { AuditEvent } from '@phr/shared-types';

const COLUMNS: Array<keyof AuditEvent> = [
  'occurredAt', 'subjectId', 'seq', 'actorId', 'actorRole', 'action', 'outcome', 'reason',
  'recordId', 'consentId', 'ip', 'userAgent', 'requestId', 'prevHash', 'hash',
];

/**
 * RFC 4180 CSV. A cell that a spreadsheet would run as a formula (starting
 * with = + - @ or a tab) is prefixed with an apostrophe (CSV injection).
 */
export function auditCsv(rows: AuditEvent[]): string {
  const cell = (value: AuditEvent[keyof AuditEvent]): string => {
    let text = value === null ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => cell(row[column])).join(','))].join('\r\n') + '\r\n';
}
