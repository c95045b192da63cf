import { useMutation } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { changePassword } from '../auth/account-flows.js';
import { NewPasswordFields, useNewPassword, type NewPassword } from '../auth/NewPasswordFields.js';
import { useSession } from '../auth/session.js';
import { currentPasswordError } from './current-password-error.js';

export function ChangePasswordForm() {
  const { api, vault, user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState<NewPassword>({ password: '', confirmation: '' });
  const newPassword = useNewPassword(next, [user?.email ?? '', user?.displayName ?? '']);

  const change = useMutation({
    mutationFn: () => changePassword(api, vault, current, next.password),
    onSuccess: () => {
      setCurrent('');
      setNext({ password: '', confirmation: '' });
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (newPassword.isReady && current) change.mutate();
  };

  return (
    <Card title="Change password">
      <p className="muted">Your records stay as they are: only the wrapping of your account key changes. Other signed-in browsers are signed out.</p>
      <form onSubmit={submit} noValidate>
        <PasswordField label="Current password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        <NewPasswordFields value={next} onChange={setNext} check={newPassword} label="New password" />
        {change.isError ? <Alert tone="error">{currentPasswordError(change.error)}</Alert> : null}
        {change.isSuccess ? <Alert tone="success">Your password was changed.</Alert> : null}
        <Button type="submit" isBusy={change.isPending} disabled={!newPassword.isReady || !current}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
