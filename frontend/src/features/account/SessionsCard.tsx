/** The account's signed-in browsers, each of which can be signed out from here (ASVS 3.3.4). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ActiveSession } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { sessionKeys } from '../../api/sessions.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';

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
        <table className="record-table" data-testid="sessions">
          <thead>
            <tr>
              <th>Browser</th>
              <th>IP address</th>
              <th>Signed in</th>
              <th>Last active</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.items.map((session) => (
              <SessionRow key={session.id} session={session} isEnding={end.isPending && end.variables === session.id} onEnd={() => end.mutate(session.id)} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Card>
  );
}

function SessionRow({ session, isEnding, onEnd }: { session: ActiveSession; isEnding: boolean; onEnd(): void }) {
  return (
    <tr data-session-id={session.id}>
      <td className="user-agent">
        {session.userAgent ?? 'Unknown browser'}
        {session.isCurrent ? <strong> (this browser)</strong> : null}
      </td>
      <td data-label="IP address">{session.ip ?? '—'}</td>
      <td data-label="Signed in">{new Date(session.createdAt).toLocaleString()}</td>
      <td data-label="Last active">{new Date(session.lastUsedAt).toLocaleString()}</td>
      <td>
        {/* The visible words are the name (WCAG 2.5.3): "End this session" on this browser's own row. */}
        <Button type="button" variant="secondary" isBusy={isEnding} onClick={onEnd}>
          {session.isCurrent ? 'End this session' : 'End session'}
        </Button>
      </td>
    </tr>
  );
}
