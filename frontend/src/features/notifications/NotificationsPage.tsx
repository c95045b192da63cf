/**
 * Notifications (docs/protocol.md "Notifications"): rows of the account's own trail that
 * someone else's access, a refusal or a share put there, in the same plain words as the audit
 * page, with the unread ones marked, each checked against the chain this browser verified as a
 * row of the audit page is; and which kinds the account wants, in the portal and by mail.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { NOTIFICATION_KINDS, type NotificationKind, type NotificationSettings } from '@phr/shared-types';
import { auditKeys } from '../../api/audit.js';
import { describeError } from '../../api/api-error.js';
import { refetchAfterChange } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ShowMore } from '../../ui/ShowMore.js';
import { useSession } from '../auth/session.js';
import { describeEvent } from '../audit/action-wording.js';
import { actorName, recordName, useRecordTitles, useTrailPeople } from '../audit/trail-names.js';
import { judgeShownRows } from '../trust/audit-checkpoint.js';
import { auditFailure } from '../trust/sign-in-checks.js';
import { useTrust } from '../trust/TrustProvider.js';

const KIND_LABELS: Record<NotificationKind, string> = {
  access: 'Someone else opened one of my records',
  denied: 'An attempt on my account or records was refused',
  sharing: 'A share was made or ran out',
};

export function NotificationsPage() {
  const { user, audit } = useSession();
  const queryClient = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: auditKeys.notifications(),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: ({ pageParam }) => audit.notifications({ cursor: pageParam, limit: 20 }),
  });
  const unread = useQuery({ queryKey: auditKeys.unreadNotifications(), queryFn: () => audit.unreadNotifications() });
  const people = useTrailPeople(undefined);
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const titles = useRecordTitles(items.flatMap((item) => (item.event.recordId ? [item.event.recordId] : [])));
  const titleOf = titles.data ?? new Map<string, string>();
  const newestSeq = items[0]?.event.seq;
  // The rows shown are the trail's own: each must hash and link as the chain verified in this browser says.
  const { checkOwnChain, raise } = useTrust();
  const chain = useQuery({ queryKey: auditKeys.chain(), queryFn: checkOwnChain });
  const shown = useQuery({
    queryKey: auditKeys.shownNotifications([list.dataUpdatedAt, chain.dataUpdatedAt]),
    enabled: list.data !== undefined && chain.data !== undefined,
    queryFn: async () => {
      const verdict = await judgeShownRows(
        items.map((item) => item.event),
        user?.id ?? '',
        chain.data?.rows ?? [],
      );
      if (verdict && !verdict.isIntact) raise(auditFailure(verdict.firstBadSeq, verdict.problem));
      return verdict ?? { isIntact: true as const };
    },
  });
  const markRead = useMutation({
    mutationFn: (upToSeq: number) => audit.markNotificationsRead(upToSeq),
    onSuccess: () => refetchAfterChange(queryClient, auditKeys.notifications()),
  });

  return (
    <div className="stack">
      <section className="card wide stack" aria-labelledby="notifications-title">
        <h1 id="notifications-title">Notifications</h1>
        {unread.data ? (
          <p data-testid="unread-count">{unread.data.count === 0 ? 'Nothing unread' : `${unread.data.count >= 100 ? '99+' : unread.data.count} unread`}</p>
        ) : null}
        {newestSeq !== undefined && (unread.data?.count ?? 0) > 0 ? (
          <Button type="button" variant="secondary" isBusy={markRead.isPending} onClick={() => markRead.mutate(newestSeq)}>
            Mark all as read
          </Button>
        ) : null}
        {shown.data && chain.data ? (
          shown.data.isIntact && chain.data.verdict.isIntact ? (
            <p className="badge badge-ok" data-testid="notifications-verified">
              Checked against your audit trail, verified in this browser
            </p>
          ) : (
            <p className="badge badge-bad" role="alert" data-testid="notifications-verified">
              These notifications do not match your verified audit trail
            </p>
          )
        ) : null}
        {list.error ? <Alert tone="error">{describeError(list.error)}</Alert> : null}
        {list.data && items.length === 0 ? <p className="muted">No notifications yet.</p> : null}
        <ul className="notification-list">
          {items.map(({ event, isUnread, kind }) => (
            <li key={event.seq} data-testid="notification" data-kind={kind} className={isUnread ? 'unread' : undefined}>
              {isUnread ? <strong className="badge">New</strong> : null}{' '}
              {describeEvent(event, { actor: actorName(event, user, people.data ?? new Map()), record: recordName(event.recordId, titleOf, user?.role === 'patient') })}
              <span className="muted"> · {new Date(event.occurredAt).toLocaleString()}</span>
            </li>
          ))}
        </ul>
        <ShowMore list={list} />
      </section>
      <NotificationSettingsCard />
    </div>
  );
}

function NotificationSettingsCard() {
  const { audit } = useSession();
  const queryClient = useQueryClient();
  const saved = useQuery({ queryKey: auditKeys.notificationSettings(), queryFn: () => audit.notificationSettings() });
  const [draft, setDraft] = useState<NotificationSettings | null>(null);
  useEffect(() => {
    if (saved.data) setDraft(saved.data);
  }, [saved.data]);
  const save = useMutation({
    mutationFn: (settings: NotificationSettings) => audit.updateNotificationSettings(settings),
    onSuccess: () => refetchAfterChange(queryClient, auditKeys.notifications()),
  });
  if (!draft) return null;
  const toggle = (channel: keyof NotificationSettings, kind: NotificationKind, isWanted: boolean) => {
    const rest = draft[channel].filter((entry) => entry !== kind);
    setDraft({ ...draft, [channel]: isWanted ? rest : [...rest, kind] });
  };
  return (
    <section className="card wide stack" aria-labelledby="notification-settings-title">
      <h2 id="notification-settings-title">What to tell me</h2>
      <p className="muted">Mails never say what happened, only that something did: sign in to see.</p>
      <p className="muted">An emergency access (a clinician breaking the glass) is always shown and mailed, whatever you choose here.</p>
      <table className="record-table">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">In the portal</th>
            <th scope="col">By email</th>
          </tr>
        </thead>
        <tbody>
          {NOTIFICATION_KINDS.map((kind) => (
            <tr key={kind}>
              <td>{KIND_LABELS[kind]}</td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${KIND_LABELS[kind]}: in the portal`}
                  checked={!draft.portalOptOut.includes(kind)}
                  onChange={(event) => toggle('portalOptOut', kind, event.target.checked)}
                />
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${KIND_LABELS[kind]}: by email`}
                  checked={!draft.emailOptOut.includes(kind)}
                  onChange={(event) => toggle('emailOptOut', kind, event.target.checked)}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Button type="button" isBusy={save.isPending} onClick={() => save.mutate(draft)}>
        Save notification settings
      </Button>
      {save.isSuccess ? <p role="status">Saved.</p> : null}
      {save.error ? <Alert tone="error">{describeError(save.error)}</Alert> : null}
    </section>
  );
}
