import { useMutation } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { Link } from 'react-router-dom';
import type { SelfRegisteringRole } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { describeLinkLifetime } from './registration-link.js';
import { RoleChoice } from './RoleChoice.js';
import { useSession } from './session.js';

/**
 * Step one of a registration: the email. The API mails a link to it (or, if
 * it has an account, a warning), and answers the same either way, so this
 * page says the same either way too.
 */
export function StartRegistration() {
  const { api } = useSession();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<SelfRegisteringRole>('patient');
  const start = useMutation({ mutationFn: () => api.startRegistration({ email: email.trim(), role }) });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (email.trim()) start.mutate();
  };

  if (start.isSuccess) {
    return (
      <Card title="Check your inbox">
        <p className="lead">
          We sent a mail to <strong>{email.trim()}</strong>. Open the link in it within {describeLinkLifetime(start.data.linkExpiresInSeconds)} to
          choose your password and finish creating your account. The link works once.
        </p>
        <p className="muted">
          If this address already has an account, the mail says so instead: sign in, or use your recovery code if you forgot your password.
        </p>
        <p className="muted">No mail after a few minutes? Look in your spam folder, or check the address and send another link.</p>
        <Button type="button" variant="secondary" onClick={() => start.reset()}>
          Use another address
        </Button>
        <p>
          <Link to="/login">Back to sign in</Link>
        </p>
      </Card>
    );
  }

  return (
    <Card title="Create your account">
      <p className="lead">First we make sure this email is yours: we send it a link, and you choose your password after opening it.</p>
      <form onSubmit={submit} noValidate>
        <RoleChoice value={role} onChange={setRole} />
        {role === 'doctor' ? (
          <p className="muted">
            You will give your licence or registration number and your organisation. An operator checks them before patients can find you or share
            records with you.
          </p>
        ) : null}
        <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        {start.isError ? <Alert tone="error">{describeError(start.error)}</Alert> : null}
        <Button type="submit" isBusy={start.isPending} disabled={!email.trim()}>
          Email me a link
        </Button>
      </form>
      <p>
        Already registered? <Link to="/login">Sign in</Link>
      </p>
    </Card>
  );
}
