import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { homeFor } from './home.js';
import { recoveryKitFileName, recoveryKitHtml } from './recovery-kit.js';
import { SecurityKeyReview } from './SecurityKeyReview.js';
import { useSession } from './session.js';

/** Where RecoverPage sends the person: the page then asks about their security keys too. */
export interface RecoveryCodeState {
  isAfterRecovery: boolean;
}

/**
 * Shown once after registration or recovery: the only copy of the recovery code, with a
 * recovery kit to download or print. After a recovery, an account with security keys is
 * asked whether to keep them (SecurityKeyReview) before anything else opens.
 */
export function RecoveryCodePage() {
  const { pendingRecoveryCode: code, recoveryCodeStored, user } = useSession();
  const navigate = useNavigate();
  const isAfterRecovery = (useLocation().state as RecoveryCodeState | null)?.isAfterRecovery === true;
  const [isStored, setIsStored] = useState(false);
  const [lastGroup, setLastGroup] = useState('');
  const [copied, setCopied] = useState(false);
  const [isReviewingKeys, setIsReviewingKeys] = useState(false);
  if (!code || !user) return <Navigate to={user ? homeFor(user.role) : '/login'} replace />;
  const finish = () => {
    recoveryCodeStored();
    void navigate(homeFor(user.role));
  };
  if (isReviewingKeys) return <SecurityKeyReview onDone={finish} />;

  const expected = code.split('-').at(-1) ?? '';
  const isConfirmed = isStored && lastGroup.trim().toUpperCase() === expected;

  return (
    <Card title="Your recovery code">
      <p className="lead">
        If you forget your password, this code is the only way back to your records. We cannot reset it for you: we never hold your keys.
        Write it down or store it in a password manager. It will not be shown again.
      </p>
      <pre className="recovery-code" data-testid="recovery-code" aria-label="Recovery code">
        {code}
      </pre>
      <Button
        type="button"
        variant="secondary"
        onClick={() => void navigator.clipboard.writeText(code).then(() => setCopied(true), () => setCopied(false))}
      >
        Copy to clipboard
      </Button>{' '}
      <Button type="button" variant="secondary" onClick={() => downloadRecoveryKit(user.email, code)}>
        Download recovery kit
      </Button>{' '}
      <Button type="button" variant="secondary" onClick={() => window.print()}>
        Print
      </Button>
      {copied ? <Alert tone="success">Copied.</Alert> : null}
      <label className="checkbox">
        <input type="checkbox" checked={isStored} onChange={(event) => setIsStored(event.target.checked)} />I have stored this code somewhere safe
      </label>
      <TextField
        label="Type the last group of the code to confirm"
        autoComplete="off"
        value={lastGroup}
        onChange={(event) => setLastGroup(event.target.value)}
        error={lastGroup.length >= expected.length && lastGroup.trim().toUpperCase() !== expected ? 'That is not the last group of the code.' : null}
      />
      <Button
        type="button"
        disabled={!isConfirmed}
        onClick={() => (isAfterRecovery ? setIsReviewingKeys(true) : finish())}
      >
        Continue
      </Button>
    </Card>
  );
}

/** The kit is made here and handed to the browser as a file: the code never leaves this page. */
function downloadRecoveryKit(email: string, recoveryCode: string): void {
  const kit = { email, recoveryCode, portalOrigin: window.location.origin, createdAt: new Date() };
  const url = URL.createObjectURL(new Blob([recoveryKitHtml(kit)], { type: 'text/html' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = recoveryKitFileName(kit);
  link.click();
  // The download has its own copy once the click has been handled.
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}
