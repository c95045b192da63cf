import { useState } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { homeFor } from './home.js';
import { useSession } from './session.js';

/** Shown once after registration or recovery: the only copy of the recovery code. */
export function RecoveryCodePage() {
  const { pendingRecoveryCode: code, recoveryCodeStored, user } = useSession();
  const navigate = useNavigate();
  const [isStored, setIsStored] = useState(false);
  const [lastGroup, setLastGroup] = useState('');
  const [copied, setCopied] = useState(false);
  if (!code) return <Navigate to={user ? homeFor(user.role) : '/login'} replace />;

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
        onClick={() => {
          recoveryCodeStored();
          void navigate(user ? homeFor(user.role) : '/login');
        }}
      >
        Continue
      </Button>
    </Card>
  );
}
