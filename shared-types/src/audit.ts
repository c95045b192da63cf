/** The audit trail (DESIGN 7). */
import type { IsoDateTime, Role, Uuid } from './common.js';

export const AUDIT_ACTIONS = [
  'account.register',
  'account.password-change',
  'account.recovery-keys',
  'account.recovery',
  'session.login',
  'session.lockout',
  'session.refresh',
  'session.refresh-reuse',
  'session.logout',
  'record.upload',
  'record.create',
  'record.read',
  'record.delete',
  'record.upload-expired',
  'folder.create',
  'folder.rename',
  'folder.delete',
  'consent.grant',
  'consent.revoke',
  'consent.expire',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'allow' | 'deny';

/** The subject of attempts that name no known account (a sign-in with an unknown email). */
export const AUDIT_SYSTEM_SUBJECT: Uuid = '00000000-0000-0000-0000-000000000000';

/** Hash that precedes the first row of every chain. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  /** Whose trail the row belongs to: the patient (or the account, for session events). */
  subjectId: Uuid;
  /** Position in the subject's chain, from 1. */
  seq: number;
  occurredAt: IsoDateTime;
  actorId: Uuid | null;
  actorRole: Role | null;
  action: AuditAction;
  outcome: AuditOutcome;
  /** Why a deny happened (or a note on an allow). */
  reason: string | null;
  recordId: Uuid | null;
  consentId: Uuid | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  prevHash: string;
  /** hex(SHA-256(utf8(prevHash + "\n" + canonicalAuditRow(row)))) */
  hash: string;
}

/**
 * The canonical encoding of a row that the chain hashes: a JSON array of the
 * fields in a fixed order. Both the API and the portal compute it.
 */
export function canonicalAuditRow(row: Omit<AuditEvent, 'hash' | 'prevHash'>): string {
  return JSON.stringify([
    1,
    row.subjectId,
    row.seq,
    row.occurredAt,
    row.actorId,
    row.actorRole,
    row.action,
    row.outcome,
    row.reason,
    row.recordId,
    row.consentId,
    row.ip,
    row.userAgent,
    row.requestId,
  ]);
}

/** The bytes (as text) whose SHA-256 is a row's hash. */
export function auditHashInput(prevHash: string, row: Omit<AuditEvent, 'hash' | 'prevHash'>): string {
  return `${prevHash}\n${canonicalAuditRow(row)}`;
}
