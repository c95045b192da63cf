/**
 * What happened to the account's security since the previous sign-in, read
 * from the user's own audit trail (ASVS 2.2.3, 2.5.5): the product has no
 * e-mail or push channel, so the portal tells the user at the next sign-in.
 */
import type { AuditAction, AuditOutcome, IsoDateTime, Me } from '@phr/shared-types';
import type { AuditApi } from '../../api/audit.js';

interface SecurityEventKind {
  action: AuditAction;
  outcome: AuditOutcome;
  describe(count: number): string;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The rows of a trail that a person should hear about, in the order the notice lists them. */
export const SECURITY_EVENT_KINDS: SecurityEventKind[] = [
  { action: 'session.login', outcome: 'deny', describe: (n) => `${plural(n, 'failed sign-in attempt', 'failed sign-in attempts')} on your account` },
  // Since sign-in has no lockout, these are waits imposed on one session after wrong current passwords (a password change, say).
  { action: 'session.lockout', outcome: 'deny', describe: (n) => `a session had to wait ${plural(n, 'time', 'times')} after repeated wrong passwords` },
  { action: 'account.password-change', outcome: 'allow', describe: (n) => `your password was changed${n > 1 ? ` ${n} times` : ''}` },
  { action: 'account.password-change', outcome: 'deny', describe: (n) => `${plural(n, 'password change was', 'password changes were')} refused: wrong current password` },
  { action: 'account.recovery', outcome: 'allow', describe: (n) => `your account was recovered with the recovery code${n > 1 ? ` ${n} times` : ''}` },
  { action: 'account.recovery-keys', outcome: 'deny', describe: (n) => `${plural(n, 'failed recovery attempt', 'failed recovery attempts')}` },
  {
    action: 'session.refresh-reuse',
    outcome: 'deny',
    describe: (n) => `${plural(n, 'replayed session token was', 'replayed session tokens were')} refused and your other sessions were ended`,
  },
];

/** A page of this size per kind; more than that is reported as "or more". */
const PER_KIND_LIMIT = 100;

export interface SecuritySummary {
  /** The previous sign-in, or the account's creation when there was none. */
  since: IsoDateTime;
  lines: string[];
}

/**
 * Counts the security events between the previous sign-in and this one. Runs
 * right after sign-in, with the new access token.
 */
export async function securityEventsSincePreviousSignIn(audit: AuditApi, user: Pick<Me, 'id' | 'createdAt'>): Promise<SecuritySummary> {
  const signIns = await audit.list({ subjectId: user.id, action: 'session.login', outcome: 'allow', limit: 2 });
  const [current, previous] = signIns.items;
  const range = { subjectId: user.id, from: previous?.occurredAt ?? user.createdAt, to: current?.occurredAt };
  const counts = await Promise.all(
    SECURITY_EVENT_KINDS.map(async (kind) => {
      const page = await audit.list({ ...range, action: kind.action, outcome: kind.outcome, limit: PER_KIND_LIMIT });
      return { kind, count: page.items.length, hasMore: page.nextCursor !== null };
    }),
  );
  const lines = counts
    .filter(({ count }) => count > 0)
    .map(({ kind, count, hasMore }) => (hasMore ? `${kind.describe(count)} (or more)` : kind.describe(count)));
  return { since: range.from, lines };
}
