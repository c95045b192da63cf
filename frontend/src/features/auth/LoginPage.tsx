import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type SubmitEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { KDF_MIN_ITERATIONS } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { VaultError } from '../../crypto/vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { TextField } from '../../ui/TextField.js';
import { signIn, type SignInStep } from './account-flows.js';
import { DeviceCheck } from './DeviceCheck.js';
import { homeFor } from './home.js';
import { useSession } from './session.js';
import { SecurityKeyUnavailable } from './webauthn.js';

export function LoginPage() {
  const { api, trust, vault, start, notice, loadSecurityNotice } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [step, setStep] = useState<SignInStep>('password');
  const [checkSeconds, setCheckSeconds] = useState(0);
  const cancelKey = useRef<AbortController | null>(null);

  const onStep = (next: SignInStep, seconds?: number) => {
    setStep(next);
    if (seconds !== undefined) setCheckSeconds(seconds);
  };

  const login = useMutation({
    mutationFn: () => {
      cancelKey.current = new AbortController();
      return signIn(api, trust, vault, email, password, onStep, cancelKey.current.signal);
    },
    onSuccess: (session) => {
      start(session);
      loadSecurityNotice(session.user);
      void navigate(homeFor(session.user.role));
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    login.mutate();
  };

  return (
    <Card title="Sign in">
      {notice ? <Alert tone="info">{notice}</Alert> : null}
      <form onSubmit={submit}>
        <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <PasswordField label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {login.isError ? <Alert tone="error">{loginError(login.error, step)}</Alert> : null}
        {login.isPending && step === 'proof-of-work' ? <DeviceCheck seconds={checkSeconds} /> : null}
        {login.isPending && step === 'security-key' ? (
          <Alert tone="info">
            Use your security key to finish signing in: insert or touch it now.{' '}
            <Button type="button" variant="secondary" onClick={() => cancelKey.current?.abort()}>
              Cancel
            </Button>
          </Alert>
        ) : null}
        <Button type="submit" isBusy={login.isPending} disabled={!email || !password}>
          {login.isPending ? BUSY_LABELS[step] : 'Sign in'}
        </Button>
      </form>
      <p>
        <Link to="/recover">Forgot your password?</Link> · <Link to="/register">Create an account</Link>
      </p>
    </Card>
  );
}

const BUSY_LABELS: Record<SignInStep, string> = {
  password: 'Unlocking your keys…',
  'proof-of-work': 'Checking this device…',
  'security-key': 'Waiting for your security key…',
};

function loginError(error: unknown, step: SignInStep): string {
  if (error instanceof VaultError && error.code === 'WEAK_KDF_PARAMETERS') return WEAK_KDF_MESSAGE;
  if (error instanceof SecurityKeyUnavailable) return 'Your security key did not answer, so you are not signed in. Sign in again to retry.';
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') {
    return step === 'security-key' ? 'Your security key did not confirm the sign-in. Sign in again to retry.' : 'Email or password is incorrect.';
  }
  return describeError(error);
}

/** DESIGN 4.1: the server offered KDF parameters below this browser's floor; the password was not used. */
const WEAK_KDF_MESSAGE =
  `Sign-in stopped: the server asked this browser to protect your password more weakly than it accepts (at least ${KDF_MIN_ITERATIONS.toLocaleString('en')} PBKDF2 iterations). ` +
  'Your password was not used or sent. Try again later, and tell support if this persists.';
