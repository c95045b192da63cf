/**
 * The audited attempts the soak made, per subject and action: those the API
 * acknowledged (a 2xx answer: its allow row committed with the answer's
 * transaction) and those whose outcome the soak cannot know (no answer, or a
 * 5xx while a fault was injected: the row may or may not have committed).
 * At the end the audit table must hold, for each, at least the acknowledged
 * count and at most that plus the unknown ones.
 */
export type AuditedAction = 'record.upload' | 'record.create' | 'record.read' | 'record.list' | 'consent.grant' | 'consent.revoke' | 'session.login';

export const AUDITED_ACTIONS: readonly AuditedAction[] = ['record.upload', 'record.create', 'record.read', 'record.list', 'consent.grant', 'consent.revoke', 'session.login'];

interface Tally {
  acknowledged: number;
  unknown: number;
}

export class AuditLedger {
  private readonly tallies = new Map<string, Tally>();

  /** `status`: the answer's status, or `network` when none came. A 4xx writes no allow row. */
  attempt(subjectId: string, action: AuditedAction, status: number | 'network'): void {
    if (status !== 'network' && status >= 300 && status < 500) return;
    const key = `${subjectId}|${action}`;
    const tally = this.tallies.get(key) ?? { acknowledged: 0, unknown: 0 };
    if (status === 'network' || status >= 500) tally.unknown++;
    else tally.acknowledged++;
    this.tallies.set(key, tally);
  }

  entries(): Array<{ subjectId: string; action: AuditedAction } & Tally> {
    return [...this.tallies].map(([key, tally]) => {
      const [subjectId, action] = key.split('|');
      return { subjectId, action: action as AuditedAction, ...tally };
    });
  }
}
