/** The audit trail (DESIGN 7). */
import type { IsoDateTime, Role, Uuid } from './common.js';

export const AUDIT_ACTIONS = [
  'account.register',
  'account.password-change',
  'account.recovery-keys',
  'account.recovery',
  'account.erase',
  // The account's own details corrected (display name, a doctor's specialty: GDPR Art. 16).
  'account.update',
  // The browser's sealed client state (GET/PUT /me/client-state) replaced; the server cannot read it.
  'account.client-state',
  // A security key (WebAuthn second factor, ASVS 2.3.2) enrolled or removed.
  'account.security-key-add',
  'account.security-key-remove',
  // An authenticator app (TOTP second factor, ASVS 6.3.2): a secret issued, confirmed with a code (or a wrong code refused), removed.
  'account.totp-enrol',
  'account.totp-confirm',
  'account.totp-remove',
  // Account-key rotation (docs/protocol.md "Account-key rotation"): started, each batch of re-sealed rows, finished; refusals as denials.
  'account.key-rotation-start',
  'account.key-rotation-batch',
  'account.key-rotation-finish',
  'session.login',
  // One session's re-authentication held back after repeated wrong passwords. (Older rows: the account lockout that proof of work replaced.)
  'session.lockout',
  // A client the account does not know was asked for a proof of work, after repeated failures on the account or from that client.
  'session.proof-of-work',
  // The security key step of a sign-in: its assertion accepted or refused.
  'session.security-key',
  // The authenticator-app step of a sign-in: its code accepted or refused (wrong, replayed, expired).
  'session.totp',
  'session.refresh',
  'session.refresh-reuse',
  'session.logout',
  // A locked browser unlocked with the password: its session (refresh token family) goes on (docs/protocol.md "Lock, reload and new tabs").
  'session.unlock',
  // A sign-in in a browser that still held a session ended that session (one session per browser).
  'session.replace',
  // A refresh refused because the session was idle too long or reached its maximum age (ASVS 3.3.2).
  'session.timeout',
  'session.list',
  'session.revoke',
  // An auditor's read-only API token issued, listed or ended (docs/protocol.md "API tokens").
  'session.api-token-issue',
  'session.api-token-list',
  'session.api-token-revoke',
  'record.upload',
  'record.create',
  'record.read',
  'record.list',
  'record.delete',
  'record.upload-expired',
  // The owner moved a record to the trash, or back out of it; after TRASH_RETENTION_DAYS the sweep deletes it (`record.purge`, actor system).
  'record.trash',
  'record.restore',
  'record.purge',
  // The owner re-sealed a record's metadata (rename, category, date, notes), or moved it to another folder (the reason names both folders and the doctors whose wraps were added or removed).
  'record.update',
  'record.move',
  'folder.create',
  'folder.rename',
  'folder.delete',
  'folder.list',
  'key.read',
  // The account replaced its key pair (POST /me/key-pair); the reason names the new fingerprint.
  'key.rotate',
  'consent.grant',
  'consent.revoke',
  'consent.list',
  'consent.expire',
  // The patient's browser re-made a doctor's wraps for the doctor's new key (PUT /consents/:id/wraps).
  'consent.rewrap',
  // Trusted contacts (docs/protocol.md "Trusted contacts"), all in the patient's trail: a contact
  // named, removed, its wait changed, its wraps re-made; a contact's request (a notification), the
  // patient's refusal, the first hand-out of the wraps after the wait; a listing; a look-up by email.
  'contact.named',
  'contact.removed',
  'contact.changed',
  'contact.rewrap',
  'contact.requested',
  'contact.refused',
  'contact.released',
  'contact.list',
  'contact.lookup',
  // Who may be a doctor (docs/protocol.md "Clinicians"). In the clinician's trail: invited (at
  // registration, naming the inviting operator), requested (a doctor's own registration), and each
  // operator decision. A suspension and a reinstatement stand in each affected patient's trail too.
  // An invitation sent stands in the operator's trail; a listing of the queue too.
  'clinician.invite',
  'clinician.request',
  'clinician.approve',
  'clinician.refuse',
  'clinician.suspend',
  'clinician.reinstate',
  'clinician.list',
  // Break-glass (docs/protocol.md "Break-glass"): the patient's setup (or its end), a clinician's
  // break with its reason (in the patient's trail and each holder's), a holder's share released to
  // that clinician, the time box ended (re-key or past it), and an auditor's review of it.
  'emergency.configured',
  'emergency.broken',
  'emergency.share-released',
  'emergency.ended',
  'emergency.reviewed',
  'emergency.list',
  // Reading the trail itself: an auditor's reads of trails other than their own (DESIGN 7).
  'audit.read',
  'audit.export',
  'audit.head',
  // A patient's access report (accounting of disclosures) asked for: the reason names the period (GET /audit/access-report, first page).
  'audit.access-report',
  // A signed-in caller whose role the route does not admit (the role guard's 403).
  'route.access',
  // A check the browser made failed (POST /security-events): a key, a key-directory head or the trail itself did not hold.
  'security.client-report',
  // A client went over a request rate limit (ASVS 8.1.4); recorded once per window, every refusal is logged.
  'route.rate-limit',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'allow' | 'deny';

/** The subject of attempts that name no known account (a sign-in with an unknown email). */
export const AUDIT_SYSTEM_SUBJECT: Uuid = '00000000-0000-0000-0000-000000000000';

/** Hash that precedes the first row of every chain. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** Who acted: a user's role, or `system` for a scheduled job (consent expiry, sweeps), which acts for no user. */
export type AuditActorRole = Role | 'system';

export interface AuditEvent {
  /** Whose trail the row belongs to: the patient (or the account, for session events). */
  subjectId: Uuid;
  /** Position in the subject's chain, from 1. */
  seq: number;
  occurredAt: IsoDateTime;
  /** Null for a job (`actorRole` `system`) and for an attempt before any sign-in. */
  actorId: Uuid | null;
  actorRole: AuditActorRole | null;
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

/**
 * GET /audit and GET /audit/export: filters, newest first. With `afterSeq`, GET /audit
 * reads one chain instead (the caller's own, or an auditor's `subjectId`): its rows after
 * that seq, oldest first, so a client that verified the chain up to a row fetches only
 * what came after it; no other filter may be given then.
 */
export interface AuditQuery {
  /** Auditors only: one subject's trail. */
  subjectId?: Uuid;
  actorId?: Uuid;
  action?: AuditAction;
  outcome?: AuditOutcome;
  recordId?: Uuid;
  /** Inclusive lower and exclusive upper bound on occurredAt. */
  from?: IsoDateTime;
  to?: IsoDateTime;
  /** Rows with a greater seq, in chain order (seq ascending); see above. */
  afterSeq?: number;
  cursor?: string;
  limit?: number;
}
export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export const AUDIT_EXPORT_FORMATS = ['csv', 'json'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];
export interface AuditExportQuery extends Omit<AuditQuery, 'afterSeq' | 'cursor' | 'limit'> {
  format: AuditExportFormat;
}

/** GET /audit/head?subjectId=: the chain head to verify a trail against. */
export interface AuditHeadQuery {
  subjectId?: Uuid;
}
export interface AuditHead {
  subjectId: Uuid;
  /** Rows in the chain; 0 and the genesis hash for an empty trail. */
  seq: number;
  hash: string;
}

/**
 * Verifies a trail given in chain order (seq 1, 2, …): each row must continue
 * the previous one and hash to what it says. Returns the seq of the first row
 * that does not, or null when the whole chain holds. `sha256Hex` is injected
 * so the browser (WebCrypto) and Node can both run it.
 */
export async function firstBrokenAuditRow(rows: AuditEvent[], sha256Hex: (text: string) => Promise<string>): Promise<number | null> {
  let prevHash = AUDIT_GENESIS_HASH;
  for (let i = 0; i < rows.length; i++) {
    const { hash, prevHash: statedPrev, ...row } = rows[i];
    if (row.seq !== i + 1 || statedPrev !== prevHash || (await sha256Hex(auditHashInput(prevHash, row))) !== hash) return row.seq;
    prevHash = hash;
  }
  return null;
}

/**
 * GET /audit/people: the display names of the people in a trail, so the portal can say who
 * acted instead of showing ids. Without `ids`: the trail's subject and everyone who acted in
 * it (a patient, a doctor: their own trail; an auditor: `subjectId`'s, or their own). With
 * `ids` (comma-separated, at most AUDIT_PEOPLE_MAX_IDS): only those of them the caller may
 * know: an auditor any account, anyone else themselves and the people who acted in their own
 * trail. An erased account has no name and is left out. The names are for display only: the
 * browser trusts no key or decision to them.
 */
export interface AuditPeopleQuery {
  subjectId?: Uuid;
  ids?: string;
}
export const AUDIT_PEOPLE_MAX_IDS = 100;
export interface AuditPerson {
  id: Uuid;
  displayName: string;
  role: Role;
}
export interface AuditPeople {
  people: AuditPerson[];
}

/**
 * GET /audit/accounts (auditors only): every account, a page at a time in id order, for the
 * "whose trail" filter; the portal sorts and filters the pages it fetched by name in the
 * browser. `after` is the previous page's `nextAfter` (an account id: no name or email goes
 * into the URL). Each page is filed as an `audit.read` in the auditor's own trail.
 */
export interface AuditAccountsQuery {
  after?: Uuid;
  limit?: number;
}
export const AUDIT_ACCOUNTS_PAGE_DEFAULT = 100;
export const AUDIT_ACCOUNTS_PAGE_MAX = 200;
export interface AuditAccounts {
  accounts: AuditPerson[];
  /** The `after` of the next page (the last id of a full page), or null when the page came back shorter than `limit`: the end. */
  nextAfter: Uuid | null;
}

/**
 * POST /audit/accounts/search (auditors only): the accounts whose name as the portal shows it
 * ("Dr " before a doctor's) or role holds every word of `q`, in any letter case, a page at a
 * time in id order as GET /audit/accounts. `q` goes in the body, never in a URL (ASVS 5.0 V14).
 */
export interface AuditAccountsSearchRequest extends AuditAccountsQuery {
  q: string;
}
export const AUDIT_ACCOUNTS_SEARCH_MAX_CHARS = 100;

/** How far back GET /audit/access-summary looks. */
export const ACCESS_SUMMARY_DAYS = 30;

/** One person other than the patient who opened (or tried to open) the patient's records. */
export interface AccessSummaryEntry {
  actorId: Uuid;
  /** Null for an account that has since been erased. */
  displayName: string | null;
  role: AuditActorRole | null;
  /** Records opened (record.read allowed) and how many different ones. */
  reads: number;
  records: number;
  /** Attempts refused (record.read denied). */
  denied: number;
  lastAt: IsoDateTime;
}

/** GET /audit/access-summary (patients): who else opened their records in the last ACCESS_SUMMARY_DAYS days, most recent first. */
export interface AccessSummary {
  since: IsoDateTime;
  people: AccessSummaryEntry[];
}
