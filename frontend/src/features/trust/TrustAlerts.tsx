/** The red alerts of this session's checks (docs/protocol.md "Client-side checks"), above every page. */
import { useMutation } from '@tanstack/react-query';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useTrust } from './TrustProvider.js';

const TITLES: Record<string, string> = {
  'own-key-mismatch': 'Your key was swapped',
  'own-binding-mismatch': 'The server shows others a different key for you',
  'key-binding-invalid': 'A key could not be verified',
  'tree-head-invalid': 'The key directory is not signed',
  'tree-head-inconsistent': 'The key directory was rewritten',
  'audit-trail-broken': 'Your audit trail was tampered with',
  'client-state-invalid': 'This browser’s memory of your account was damaged',
  'key-rotation-unreadable': 'The server holds keys your account key never sealed',
};

export function TrustAlerts() {
  const { alerts, isChecked, clientStateRepair } = useTrust();
  return (
    <div className="trust-alerts">
      {alerts.map((alert) => (
        <div key={alert.message} className="alert alert-error trust-alert" role="alert" data-testid="trust-alert" data-kind={alert.kind}>
          <strong>{TITLES[alert.kind]}.</strong> {alert.message} This was reported to your audit trail; do not share records until it is explained.
        </div>
      ))}
      {clientStateRepair === null ? null : <ReplaceClientState />}
      <p className="muted trust-status" data-testid="trust-status" aria-live="polite">
        {isChecked ? 'This browser checked your key, the key directory and your audit trail.' : 'Checking the server’s answers…'}
      </p>
    </div>
  );
}

/**
 * The way out of a kept state that does not open: left alone, it stays on the server as evidence
 * and its alert comes at every sign-in. A new copy keeps what this browser verified; the doctors'
 * numbers are compared again at the next share.
 */
function ReplaceClientState() {
  const { replaceClientState, clientStateRepair } = useTrust();
  const replace = useMutation({ mutationFn: replaceClientState });
  if (clientStateRepair === 'done') return <Alert tone="success">A new copy is kept on the server, sealed by this browser: your next sign-in opens it.</Alert>;
  return (
    <div className="trust-alert-action" data-testid="replace-client-state">
      <p>
        Once the report is looked at, you can keep a new copy from what this browser verified (the key directory’s head and your audit trail’s). The copy that does not
        open is replaced; you will compare your doctors’ numbers again at your next share with each.
      </p>
      {replace.isError ? <Alert tone="error">{describeError(replace.error)}</Alert> : null}
      <Button type="button" variant="secondary" isBusy={replace.isPending} onClick={() => replace.mutate()}>
        Keep a new copy from this browser
      </Button>
    </div>
  );
}
