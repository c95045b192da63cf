/**
 * The security team's way into Swagger UI and scripts (issue 15; docs/protocol.md "API tokens"):
 * an auditor issues a read-only token that lives an hour, copies it once, and can end it here.
 */
import { useState, type SubmitEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { API_TOKEN_LABEL_MAX_LENGTH, API_TOKEN_SECONDS, type ApiTokenIssued, type ApiTokenSummary } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { refetchAfterChange } from '../../api/invalidate.js';
import { apiTokenKeys } from '../../api/sessions.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ItemTable, type ItemColumn } from '../../ui/ItemTable.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { useSession } from '../auth/session.js';

/** Swagger UI, through the portal's proxy of /api (the API's own origin in production). */
const SWAGGER_URL = '/api/docs';

const TOKEN_COLUMNS: Array<ItemColumn<ApiTokenSummary>> = [
  { header: 'For', cell: (token) => token.label },
  { header: 'Issued', cell: (token) => new Date(token.createdAt).toLocaleString() },
  { header: 'Expires', cell: (token) => new Date(token.expiresAt).toLocaleString() },
];

export function ApiAccessPage() {
  const { apiTokens } = useSession();
  const queryClient = useQueryClient();
  const [label, setLabel] = useState('Swagger UI');
  const [issued, setIssued] = useState<ApiTokenIssued | null>(null);
  const tokens = useQuery({ queryKey: apiTokenKeys.list(), queryFn: () => apiTokens.list() });
  const issue = useMutation({
    mutationFn: (name: string) => apiTokens.issue(name),
    onSuccess: (token) => setIssued(token),
    onSettled: () => refetchAfterChange(queryClient, apiTokenKeys.all),
  });
  const end = useMutation({
    mutationFn: (id: string) => apiTokens.end(id),
    onSuccess: (_answer, id) => setIssued((shown) => (shown?.id === id ? null : shown)),
    onSettled: () => refetchAfterChange(queryClient, apiTokenKeys.all),
  });

  function submit(event: SubmitEvent) {
    event.preventDefault();
    issue.mutate(label.trim());
  }

  return (
    <>
      <Card title="API access">
        <p>
          A token for <a href={SWAGGER_URL}>Swagger UI</a> or your own scripts: it reads the API as you (the audit trail, the key directory) for {API_TOKEN_SECONDS / 60}{' '}
          minutes, and is refused anything that changes data. Every use is audited in the trails it reads; issuing and ending it in yours.
        </p>
        <form onSubmit={submit}>
          <TextField label="What is it for?" value={label} maxLength={API_TOKEN_LABEL_MAX_LENGTH} required onChange={(event) => setLabel(event.target.value)} />
          <Button type="submit" isBusy={issue.isPending}>
            Issue a read-only token
          </Button>
        </form>
        {issue.isError ? <Alert tone="error">{describeError(issue.error)}</Alert> : null}
        {issued ? <IssuedToken token={issued} /> : null}
      </Card>
      <Card title="Live API tokens">
        {tokens.isError ? <Alert tone="error">{describeError(tokens.error)}</Alert> : null}
        {end.isError ? <Alert tone="error">{describeError(end.error)}</Alert> : null}
        {tokens.data && tokens.data.items.length === 0 ? <p className="muted">None: every token you issued has ended or expired.</p> : null}
        {tokens.data && tokens.data.items.length > 0 ? (
          <ItemTable
            testId="api-tokens"
            rowIdAttribute="data-api-token-id"
            columns={TOKEN_COLUMNS}
            items={tokens.data.items}
            action={(token) => (
              <Button
                type="button"
                variant="secondary"
                isBusy={end.isPending && end.variables === token.id}
                onClick={() => end.mutate(token.id)}
                aria-label={`End token for ${token.label}`}
              >
                End token
              </Button>
            )}
          />
        ) : null}
      </Card>
    </>
  );
}

function IssuedToken({ token }: { token: ApiTokenIssued }) {
  const [isCopied, setCopied] = useState(false);
  return (
    <div className="field" data-testid="issued-api-token">
      <label htmlFor="issued-api-token">Your token (shown once; paste it into Swagger UI’s “Authorize”)</label>
      <textarea id="issued-api-token" readOnly rows={4} value={token.accessToken} onFocus={(event) => event.target.select()} />
      <p className="muted">Until {new Date(token.expiresAt).toLocaleString()}.</p>
      <Button
        type="button"
        variant="secondary"
        onClick={() => {
          void navigator.clipboard.writeText(token.accessToken).then(() => setCopied(true));
        }}
      >
        {isCopied ? 'Copied' : 'Copy token'}
      </Button>
    </div>
  );
}
