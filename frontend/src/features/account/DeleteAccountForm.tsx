import { useMutation } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { ACCOUNT_ERASURE_CONFIRMATION, ERASURE_REASON_MAX_LENGTH } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { TextField } from '../../ui/TextField.js';
import { eraseAccount } from '../auth/account-flows.js';
import { useSession } from '../auth/session.js';

/** GDPR Art. 17: the account holder erases their account; docs/erasure.md says what goes and what stays. */
export function DeleteAccountForm() {
  const { api, vault, user, end } = useSession();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const isConfirmed = typed.trim().toLowerCase() === ACCOUNT_ERASURE_CONFIRMATION;

  const erase = useMutation({
    mutationFn: () => eraseAccount(api, vault, password, reason),
    onSuccess: async (receipt) => {
      await end(
        `Your account was erased: ${receipt.records} record(s), ${receipt.folders} folder(s) and ${receipt.consents} consent(s) are gone. ` +
          'The audit trail is kept, as the law requires. This email address can be used to register again.',
      );
      void navigate('/login', { replace: true });
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (password && isConfirmed) erase.mutate();
  };

  const isDoctor = user?.role === 'doctor';
  return (
    <Card title="Delete account">
      <p>Deleting your account cannot be undone. At once and for good:</p>
      <ul>
        {isDoctor ? (
          <li>every consent that named you ends, and the keys patients wrapped for you are deleted;</li>
        ) : (
          <>
            <li>every record is deleted: its encrypted file, its metadata and every key wrapped for it, including those of doctors you shared it with;</li>
            <li>your folders, uploads in progress and consents are deleted, so doctors lose access;</li>
          </>
        )}
        <li>your keys, sign-in details and sessions are deleted, and this browser is signed out.</li>
      </ul>
      <p className="muted">
        The audit trail of your account stays: health-data law requires it to be kept. It holds times, actions and ids, never file contents or
        names. A copy a doctor already downloaded cannot be recalled. Export your records first if you want to keep them.
      </p>
      <form onSubmit={submit} noValidate>
        <PasswordField label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <TextField
          label={`Type “${ACCOUNT_ERASURE_CONFIRMATION}” to confirm`}
          autoComplete="off"
          spellCheck={false}
          required
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <TextField
          label="Reason (optional)"
          hint="Kept in the audit trail with the erasure."
          maxLength={ERASURE_REASON_MAX_LENGTH}
          value={reason}
          onChange={(e) => setReason(e.target.value.replace(/\p{Cc}/gu, ' '))}
        />
        {erase.isError ? <Alert tone="error">{eraseError(erase.error)}</Alert> : null}
        <Button type="submit" variant="danger" isBusy={erase.isPending} disabled={!password || !isConfirmed}>
          Delete my account
        </Button>
      </form>
    </Card>
  );
}

function eraseError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') return 'The password is not correct. Nothing was deleted.';
  return `${describeError(error)} Your account was not erased; you can try again.`;
}
