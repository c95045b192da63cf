/** The account's signed-in browsers, each of which can be signed out from here (ASVS 3.3.4). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ActiveSession } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { sessionKeys } from '../../api/sessions.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ItemTable, type ItemColumn } from '../../ui/ItemTable.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';

const SESSION_COLUMNS: Array<ItemColumn<ActiveSession>> = [
  {
    header: 'Browser',
    className: 'user-agent',
    cell: (session) => (
      <>
        {session.userAgent ?? 'Unknown browser'}
        {session.isCurrent ? <strong> (this browser)</strong> : null}
      </>
    ),
  },
  { header: 'IP address', isLabelledOnPhone: true, cell: (session) => session.ip ?? '—' },
  { header: 'Signed in', isLabelledOnPhone: true, cell: (session) => new Date(session.createdAt).toLocaleString() },
  { header: 'Last active', isLabelledOnPhone: true, cell: (session) => new Date(session.lastUsedAt).toLocaleString() },
];

export function SessionsCard() {
  const { sessions: sessionsApi } = useSession();
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: sessionKeys.list(), queryFn: () => sessionsApi.list() });
  const end = useMutation({
    mutationFn: (id: string) => sessionsApi.end(id),
    onSettled: () => invalidateAfter(queryClient, 'sessionEnded'),
  });

  return (
    <Card title="Sessions">
      <p className="muted">
        Every browser signed in to your account. Ending a session signs that browser out at its next request; it needs the password to come back.
      </p>
      {sessions.isError ? <Alert tone="error">{describeError(sessions.error)}</Alert> : null}
      {end.isError ? <Alert tone="error">{describeError(end.error)}</Alert> : null}
      {sessions.data ? (
        <ItemTable
          testId="sessions"
          rowIdAttribute="data-session-id"
          columns={SESSION_COLUMNS}
          items={sessions.data.items}
          action={(session) => (
            // The visible words are the name (WCAG 2.5.3): "End this session" on this browser's own row.
            <Button type="button" variant="secondary" isBusy={end.isPending && end.variables === session.id} onClick={() => end.mutate(session.id)}>
              {session.isCurrent ? 'End this session' : 'End session'}
            </Button>
          )}
        />
      ) : null}
    </Card>
  );
}
