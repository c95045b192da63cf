import { useMutation } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ApiError, describeError } from '../../api/api-error.js';
import { VaultError } from '../../crypto/vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { recoverAccount } from './account-flows.js';
import { DeviceCheck } from './DeviceCheck.js';
import { NewPasswordFields, useNewPassword, type NewPassword } from './NewPasswordFields.js';
import type { RecoveryCodeState } from './RecoveryCodePage.js';
import { useSession } from './session.js';

export function RecoverPage() {
  const { api, trust, vault, start } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const [password, setPassword] = useState<NewPassword>({ password: '', confirmation: '' });
  const newPassword = useNewPassword(password, [email]);
  const [checkSeconds, setCheckSeconds] = useState<number | null>(null);

  const recover = useMutation({
    mutationFn: () => {
      setCheckSeconds(null);
      return recoverAccount(api, trust, vault, { email, recoveryCode, newPassword: password.password }, setCheckSeconds);
    },
    onSuccess: ({ recoveryCode: newCode, ...session }) => {
      start(session, newCode);
      void navigate('/recovery-code', { state: { isAfterRecovery: true } satisfies RecoveryCodeState });
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (newPassword.isReady) recover.mutate();
  };

  return (
    <Card title="Recover your account">
      <p className="lead">Use the recovery code you saved when you registered. You will get a new code afterwards; the old one stops working.</p>
      <form onSubmit={submit} noValidate>
        <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField
          label="Recovery code"
          autoComplete="off"
          spellCheck={false}
          required
          value={recoveryCode}
          onChange={(e) => setRecoveryCode(e.target.value)}
          hint="32 letters and digits; dashes and case do not matter."
        />
        <NewPasswordFields value={password} onChange={setPassword} check={newPassword} label="New password" />
        {recover.isError ? <Alert tone="error">{recoveryError(recover.error)}</Alert> : null}
        {recover.isPending && checkSeconds !== null ? <DeviceCheck seconds={checkSeconds} /> : null}
        <Button type="submit" isBusy={recover.isPending} disabled={!newPassword.isReady || !email || !recoveryCode}>
          Set new password
        </Button>
      </form>
      <p>
        <Link to="/login">Back to sign in</Link>
      </p>
    </Card>
  );
}

function recoveryError(error: unknown): string {
  if (error instanceof VaultError && error.code === 'BAD_RECOVERY_CODE') return 'That is not a recovery code. Check it and try again.';
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') return 'The email or the recovery code is incorrect.';
  return describeError(error);
}
