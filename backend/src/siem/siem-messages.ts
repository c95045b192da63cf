import type { AuditEvent } from '@phr/shared-types';

/**
 * What the SIEM receives of an audit row (docs/running.md "Streaming audit events to a SIEM"):
 * every field the row's hash covers, and the hash and the previous hash, so that the copy can
 * be checked on its own (shared-types `auditHashInput`); ids only, never a title or a name.
 */

/** RFC 5424 6.2.1: facility 13, "log audit". */
export const SYSLOG_FACILITY = 13;
/** A refusal is a warning (4); an allowed action is informational (6). */
export const SYSLOG_SEVERITY = { deny: 4, allow: 6 } as const;
/** The SD-ID: "audit" under the example enterprise number of RFC 5612 (32473), as RFC 5424 7.2 allows for private ids. */
export const SYSLOG_SD_ID = 'audit@32473';

export interface SyslogHeader {
  hostname: string;
  appName: string;
  procId: string;
}

/** SD-PARAM names and the row's fields, in the order of the canonical row (shared-types `canonicalAuditRow`). */
const PARAMS: ReadonlyArray<readonly [string, (row: AuditEvent) => string | number | null]> = [
  ['subject', (row) => row.subjectId],
  ['seq', (row) => row.seq],
  ['occurredAt', (row) => row.occurredAt],
  ['actor', (row) => row.actorId],
  ['role', (row) => row.actorRole],
  ['action', (row) => row.action],
  ['outcome', (row) => row.outcome],
  ['reason', (row) => row.reason],
  ['record', (row) => row.recordId],
  ['consent', (row) => row.consentId],
  ['ip', (row) => row.ip],
  ['userAgent', (row) => row.userAgent],
  ['requestId', (row) => row.requestId],
  ['prevHash', (row) => row.prevHash],
  ['hash', (row) => row.hash],
];

/** RFC 5424 6.3.3: in a PARAM-VALUE, '"', '\' and ']' are escaped with a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (character) => `\\${character}`);
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [audit@32473 …]`, with
 * the action as MSGID and no MSG. A null field has no SD-PARAM.
 */
export function syslogMessage(row: AuditEvent, header: SyslogHeader): string {
  const priority = SYSLOG_FACILITY * 8 + SYSLOG_SEVERITY[row.outcome];
  const params = PARAMS.flatMap(([name, field]) => {
    const value = field(row);
    return value === null ? [] : [`${name}="${escapeParamValue(String(value))}"`];
  });
  return `<${priority}>1 ${row.occurredAt} ${header.hostname} ${header.appName} ${header.procId} ${row.action} [${SYSLOG_SD_ID} ${params.join(' ')}]`;
}

/** RFC 5425 4.3 (RFC 6587 3.4.1): octet-counting framing, `MSG-LEN SP SYSLOG-MSG`. */
export function octetCountedFrame(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length} `, 'ascii'), bytes]);
}

/** One NDJSON line: the row exactly as GET /api/audit returns it. */
export function ndjsonLine(row: AuditEvent): string {
  return JSON.stringify(row);
}
