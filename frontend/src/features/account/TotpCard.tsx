/**
 * The authenticator app (TOTP, RFC 6238; ASVS 6.3.2): a second factor beside
 * security keys. The server makes the secret; this card shows it as text, as a
 * QR code and as an otpauth:// link for the app, and it counts only once the app's current
 * code confirms it. Removing it needs the password, like a security key.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import type { TotpEnrolment } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { totpKeys } from '../../api/totp.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { QrCode } from '../../ui/QrCode.js';
import { TextField } from '../../ui/TextField.js';
import { useSession } from '../auth/session.js';
import { currentPasswordError } from './current-password-error.js';

export function TotpCard({ onEnrolled }: { onEnrolled?: () => Promise<void> | void }) {
  const { totp } = useSession();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: totpKeys.status(), queryFn: () => totp.status() });
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);

  const start = useMutation({ mutationFn: () => totp.enrol(), onSuccess: setEnrolment });

  return (
    <Card title="Authenticator app">
      <p className="muted">
        An authenticator app (such as FreeOTP, Aegis or Google Authenticator) shows a new 6-digit code every 30 seconds. With one set up, signing in needs your
        password and then the code. Your recovery code still opens the account if you lose the phone.
      </p>
      {status.isError ? <Alert tone="error">{describeError(status.error)}</Alert> : null}
      {status.data?.isActive ? (
        <>
          <p data-testid="totp-active">
            An authenticator app is set up since {new Date(status.data.confirmedAt ?? '').toLocaleString()}
            {status.data.lastUsedAt ? `; last used ${new Date(status.data.lastUsedAt).toLocaleString()}` : ''}.
          </p>
          <RemoveTotpForm />
        </>
      ) : null}
      {status.data && !status.data.isActive && !enrolment ? (
        <>
          <p>No authenticator app yet.</p>
          {start.isError ? <Alert tone="error">{describeError(start.error)}</Alert> : null}
          <Button type="button" isBusy={start.isPending} onClick={() => start.mutate()}>
            Set up an authenticator app
          </Button>
        </>
      ) : null}
      {enrolment && !status.data?.isActive ? (
        <ConfirmTotpForm
          enrolment={enrolment}
          onConfirmed={async () => {
            setEnrolment(null);
            await invalidateAfter(queryClient, 'totpChanged');
            await onEnrolled?.();
          }}
        />
      ) : null}
    </Card>
  );
}

function ConfirmTotpForm({ enrolment, onConfirmed }: { enrolment: TotpEnrolment; onConfirmed(): Promise<void> }) {
  const { totp } = useSession();
  const [code, setCode] = useState('');
  const confirm = useMutation({ mutationFn: () => totp.confirm(code), onSuccess: onConfirmed });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (code.length === 6) confirm.mutate();
  };

  return (
    <form method="post" onSubmit={submit} aria-label="Confirm the authenticator app">
      <p>
        Add this account to your authenticator app: scan the QR code with the app, open the link on the phone that has the app, or type the key into the app by
        hand (time-based, 6 digits, every 30 seconds).
      </p>
      {isSameSecret(enrolment) ? (
        <>
          <QrCode text={enrolment.uri} label="QR code of the authenticator key" testId="totp-qr" />
          <p>
            <a href={enrolment.uri}>Open in an authenticator app</a>
          </p>
        </>
      ) : (
        <Alert tone="error">The server’s link for the app does not carry the key shown below: type the key by hand.</Alert>
      )}
      <p>
        Key: <code data-testid="totp-secret">{groupsOfFour(enrolment.secret)}</code>
      </p>
      <TextField
        label="Code the app shows now"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]{6}"
        maxLength={6}
        required
        value={code}
        onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
      />
      {confirm.isError ? <Alert tone="error">{confirmError(confirm.error)}</Alert> : null}
      <Button type="submit" isBusy={confirm.isPending} disabled={code.length !== 6}>
        Confirm code
      </Button>
    </form>
  );
}

function RemoveTotpForm() {
  const { totp, vault } = useSession();
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');
  const remove = useMutation({
    mutationFn: async () => totp.remove(await vault.currentAuthKey(password)),
    onSuccess: () => invalidateAfter(queryClient, 'totpChanged'),
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (password) remove.mutate();
  };

  return (
    <form method="post" onSubmit={submit} noValidate aria-label="Remove the authenticator app">
      <PasswordField
        label="Current password to remove the authenticator app"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {remove.isError ? <Alert tone="error">{currentPasswordError(remove.error)}</Alert> : null}
      <Button type="submit" variant="danger" isBusy={remove.isPending} disabled={!password}>
        Remove authenticator app
      </Button>
    </form>
  );
}

/**
 * The link (and so the QR code) holds the key shown as text, for a time-based code of 6 digits
 * every 30 seconds: a server that sent one key to read and another to scan would leave the
 * patient with an app that never matches what they wrote down.
 */
function isSameSecret(enrolment: TotpEnrolment): boolean {
  try {
    const uri = new URL(enrolment.uri);
    const { searchParams } = uri;
    return (
      uri.protocol === 'otpauth:' &&
      uri.host === 'totp' &&
      searchParams.get('secret') === enrolment.secret &&
      (searchParams.get('digits') ?? '6') === '6' &&
      (searchParams.get('period') ?? '30') === '30' &&
      (searchParams.get('algorithm') ?? 'SHA1') === 'SHA1'
    );
  } catch {
    return false;
  }
}

/** The base32 key in groups of four, easier to type. */
function groupsOfFour(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

function confirmError(error: unknown): string {
  if (error instanceof ApiError && error.status === 400) return 'That is not the code the app shows now. Check the app’s clock, wait for the next code and try again.';
  return describeError(error);
}
