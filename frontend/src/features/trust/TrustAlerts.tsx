/** The red alerts of this session's checks (docs/protocol.md "Client-side checks"), above every page. */
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
  const { alerts, isChecked } = useTrust();
  return (
    <div className="trust-alerts">
      {alerts.map((alert) => (
        <div key={alert.message} className="alert alert-error trust-alert" role="alert" data-testid="trust-alert" data-kind={alert.kind}>
          <strong>{TITLES[alert.kind]}.</strong> {alert.message} This was reported to your audit trail; do not share records until it is explained.
        </div>
      ))}
      <p className="muted trust-status" data-testid="trust-status" aria-live="polite">
        {isChecked ? 'This browser checked your key, the key directory and your audit trail.' : 'Checking the server’s answers…'}
      </p>
    </div>
  );
}
