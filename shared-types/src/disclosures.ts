/**
 * The accounting of disclosures (HIPAA 45 CFR 164.528; docs/protocol.md "Access report"): who
 * other than the patient opened which of the patient's records, when, and on what basis. The
 * server gives the rows of the patient's own trail; the patient's browser fills in the record
 * titles it decrypts and writes the report (CSV and PDF) itself.
 */
import type { AuditActorRole } from './audit.js';
import type { IsoDateTime, Role, Uuid } from './common.js';

/** Why an access was allowed, as the report shows it. */
export const DISCLOSURE_BASES = ['consent', 'emergency', 'trusted-contact', 'other'] as const;
export type DisclosureBasis = (typeof DISCLOSURE_BASES)[number];

/**
 * The one mapping from the reason an allowed `record.read` row carries to its basis. Each way a
 * reader other than the patient may open a record files its read with exactly one of these
 * reasons (docs/protocol.md "Access report"); any other reason is reported as `other`, with
 * the raw reason shown beside it.
 */
export const DISCLOSURE_REASONS: Readonly<Record<string, Exclude<DisclosureBasis, 'other'>>> = {
  'consented doctor': 'consent',
  'trusted contact': 'trusted-contact',
  'break-glass': 'emergency',
};

/** The basis of an allowed read from its audit row's reason (exact match; anything else: `other`). */
export function disclosureBasis(reason: string | null): DisclosureBasis {
  return reason !== null && Object.hasOwn(DISCLOSURE_REASONS, reason) ? DISCLOSURE_REASONS[reason] : 'other';
}

/** The longest period one report covers: six years, as 164.528(a) gives the patient. */
export const ACCESS_REPORT_MAX_YEARS = 6;
/** `to` may lie at most this far after `from`: six years of 366 days (a leap day never shortens it). */
export const ACCESS_REPORT_MAX_MS = ACCESS_REPORT_MAX_YEARS * 366 * 86_400_000;

export const ACCESS_REPORT_PAGE_DEFAULT = 200;
export const ACCESS_REPORT_PAGE_MAX = 500;

/**
 * GET /audit/access-report: the caller's (a patient's) trail, its allowed `record.read` rows
 * whose actor is someone else, with occurredAt in [from, to), oldest first. The first page
 * (no cursor) files an `audit.access-report` row in the patient's trail naming the period.
 */
export interface AccessReportQuery {
  from: IsoDateTime;
  to: IsoDateTime;
  /** The previous page's nextCursor. */
  cursor?: string;
  limit?: number;
}

/** One access: an audit row of the patient's trail, with who acted and on what basis. */
export interface AccessReportEntry {
  /** The row's place in the patient's chain and its hash, so the browser checks it against the chain it verified. */
  seq: number;
  hash: string;
  occurredAt: IsoDateTime;
  actorId: Uuid;
  /** Null when the account has since been erased. */
  actorName: string | null;
  /** The role the actor acted in (as the row recorded it). */
  actorRole: AuditActorRole | null;
  recordId: Uuid;
  consentId: Uuid | null;
  /** The row's raw reason. */
  reason: string | null;
  basis: DisclosureBasis;
}

export interface AccessReportPage {
  items: AccessReportEntry[];
  nextCursor: string | null;
}

/** The columns of the CSV report the portal writes, in order (docs/protocol.md "Access report"). */
export const ACCESS_REPORT_CSV_COLUMNS = ['accessed_at', 'person', 'role', 'record', 'record_id', 'basis', 'reason', 'audit_seq', 'audit_hash'] as const;

/** What the report calls a person's role. */
export const ACCESS_REPORT_ROLE_WORDS: Readonly<Record<Role | 'system', string>> = {
  patient: 'patient',
  doctor: 'doctor',
  auditor: 'auditor',
  operator: 'operator',
  system: 'system',
};
