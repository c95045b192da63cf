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
  const [code, setCode] = useState('');
  // The sign-in waits on this while the authenticator-app step asks for the code.
  const giveCode = useRef<((code: string) => void) | null>(null);
  const askForCode = () =>
    new Promise<string>((resolve) => {
      setCode('');
      giveCode.current = resolve;
    });

  const onStep = (next: SignInStep, seconds?: number) => {
    setStep(next);
    if (seconds !== undefined) setCheckSeconds(seconds);
  };

  const login = useMutation({
    mutationFn: () => {
      cancelKey.current = new AbortController();
      return signIn(api, trust, vault, email, password, onStep, cancelKey.current.signal, askForCode);
    },
    onSuccess: (session) => {
      start(session);
      // A session that may only enrol a second factor reads no trail yet (App shows the enrolment).
      if (!session.mustEnrolSecondFactor) loadSecurityNotice(session.user);
      void navigate(homeFor(session.user.role));
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    login.mutate();
  };

  const submitCode = (event: SubmitEvent) => {
    event.preventDefault();
    giveCode.current?.(code.trim());
    giveCode.current = null;
  };
  const isAskingForCode = login.isPending && step === 'authenticator-code';

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
            Use your security key to finish signing in: insert or touch it now. With an authenticator app as well, Cancel asks for its code instead.{' '}
            <Button type="button" variant="secondary" onClick={() => cancelKey.current?.abort()}>
              Cancel
            </Button>
          </Alert>
        ) : null}
        <Button type="submit" isBusy={login.isPending} disabled={!email || !password}>
          {login.isPending ? BUSY_LABELS[step] : 'Sign in'}
        </Button>
      </form>
      {isAskingForCode ? (
        // Posted by script in the body of POST /auth/login/totp: never a URL, never a query string.
        <form method="post" onSubmit={submitCode} aria-label="Authenticator app code">
          <TextField
            label="Code from your authenticator app"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            autoFocus
            value={code}
            onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
            hint="The 6 digits the app shows for this account now."
          />
          <Button type="submit" disabled={code.length !== 6}>
            Confirm code
          </Button>
        </form>
      ) : null}
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
  'authenticator-code': 'Waiting for the code…',
};

function loginError(error: unknown, step: SignInStep): string {
  if (error instanceof VaultError && error.code === 'WEAK_KDF_PARAMETERS') return WEAK_KDF_MESSAGE;
  if (error instanceof SecurityKeyUnavailable) return 'Your security key did not answer, so you are not signed in. Sign in again to retry.';
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') {
    if (step === 'security-key') return 'Your security key did not confirm the sign-in. Sign in again to retry.';
    if (step === 'authenticator-code') return 'That code did not confirm the sign-in (a code is accepted once, while it is shown). Sign in again with the next code.';
    return 'Email or password is incorrect.';
  }
  return describeError(error);
}

/** DESIGN 4.1: the server offered KDF parameters below this browser's floor; the password was not used. */
const WEAK_KDF_MESSAGE =
  `Sign-in stopped: the server asked this browser to protect your password more weakly than it accepts (at least ${KDF_MIN_ITERATIONS.toLocaleString('en')} PBKDF2 iterations). ` +
  'Your password was not used or sent. Try again later, and tell support if this persists.';
