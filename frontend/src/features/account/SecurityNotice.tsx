import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';

/** Shown after sign-in when the audit trail holds security events since the previous one. */
export function SecurityNotice() {
  const { securityNotice, dismissSecurityNotice } = useSession();
  if (!securityNotice || securityNotice.lines.length === 0) return null;
  return (
    <div className="security-notice" data-testid="security-notice">
      <Alert tone="info">
        <strong>Since your previous sign-in ({new Date(securityNotice.since).toLocaleString()}):</strong>
        <ul>
          {securityNotice.lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        If this was not you, change your password and check your audit trail.{' '}
        <Button type="button" variant="secondary" onClick={dismissSecurityNotice}>
          Dismiss
        </Button>
      </Alert>
    </div>
  );
}
