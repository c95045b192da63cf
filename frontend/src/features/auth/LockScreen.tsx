import { useMutation } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { unlockSession, type SignInStep } from './account-flows.js';
import { DeviceCheck } from './DeviceCheck.js';
import { useSession } from './session.js';

/**
 * A page of a browser that holds a session but no keys: after a reload, in a new
 * tab, after the lock (docs/protocol.md "Lock, reload and new tabs"). Only the
 * password is asked: the email is the session's, and the security key was
 * asked when the session began. The page stays where it was and opens once unlocked.
 */
export function LockScreen({ email }: { email: string }) {
  const { api, trust, vault, start, end, notice } = useSession();
  const [password, setPassword] = useState('');
  const [step, setStep] = useState<SignInStep>('password');
  const [checkSeconds, setCheckSeconds] = useState(0);

  const unlock = useMutation({
    mutationFn: () =>
      unlockSession(api, trust, vault, email, password, (next, seconds) => {
        setStep(next);
        if (seconds !== undefined) setCheckSeconds(seconds);
      }),
    onSuccess: (session) => start(session),
    onError: (error) => {
      // The session itself has ended (signed out elsewhere, timed out): only a new sign-in helps.
      if (error instanceof ApiError && error.status === 401 && error.code !== 'INVALID_CREDENTIALS') {
        void end('Your session has ended. Please sign in again.');
      }
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    unlock.mutate();
  };

  return (
    <Card title="Unlock">
      {notice ? <Alert tone="info">{notice}</Alert> : null}
      <p className="lead">
        You are signed in as <strong data-testid="locked-email">{email}</strong>. Your keys are not kept when a page reloads or locks: enter your
        password to open them again.
      </p>
      <form onSubmit={submit}>
        {/* For password managers: the account the password belongs to. */}
        <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
        <PasswordField label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {unlock.isError ? <Alert tone="error">{unlockError(unlock.error)}</Alert> : null}
        {unlock.isPending && step === 'proof-of-work' ? <DeviceCheck seconds={checkSeconds} /> : null}
        <Button type="submit" isBusy={unlock.isPending} disabled={!password}>
          {unlock.isPending ? 'Unlocking your keys…' : 'Unlock'}
        </Button>
      </form>
      <p>
        <Button type="button" variant="secondary" onClick={() => void end()}>
          Use another account
        </Button>{' '}
        <Link to="/recover">Forgot your password?</Link>
      </p>
    </Card>
  );
}

function unlockError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') return 'That password is not correct.';
  return describeError(error);
}
