import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { PRIVACY_NOTICE_VERSION, type SelfRegisteringRole } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { registerAccount } from './account-flows.js';
import { NewPasswordFields, useNewPassword, type NewPassword } from './NewPasswordFields.js';
import { PrivacyNotice } from './PrivacyNotice.js';
import { useSession } from './session.js';

export function RegisterPage() {
  const { api, vault, start } = useSession();
  const navigate = useNavigate();
  // An auditor arrives with the one-time code the operator's create-auditor step printed.
  const invitation = useSearchParams()[0].get('invitation') ?? undefined;
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<SelfRegisteringRole>('patient');
  const [specialty, setSpecialty] = useState('');
  const [password, setPassword] = useState<NewPassword>({ password: '', confirmation: '' });
  const [hasReadNotice, setHasReadNotice] = useState(false);
  const { isReady } = useNewPassword(password, [email, displayName]);
  const canSubmit = isReady && hasReadNotice && Boolean(email) && (Boolean(invitation) || Boolean(displayName));

  const register = useMutation({
    mutationFn: () =>
      registerAccount(api, vault, { email, displayName, role, specialty, password: password.password, invitation, privacyNoticeVersion: PRIVACY_NOTICE_VERSION }),
    onSuccess: ({ recoveryCode, ...session }) => {
      start(session, recoveryCode);
      void navigate('/recovery-code');
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canSubmit) register.mutate();
  };

  return (
    <Card title={invitation ? 'Create your auditor account' : 'Create your account'}>
      <p className="lead">
        Your password never leaves this browser. It unlocks the keys that encrypt your records, so choose one you will remember.
      </p>
      <form onSubmit={submit} noValidate>
        {invitation ? (
          <p className="muted">Auditors read every audit trail and nothing else. Use the email your invitation was made for.</p>
        ) : (
          <>
            <fieldset className="roles">
              <legend>I am a</legend>
              {(['patient', 'doctor'] as const).map((option) => (
                <label key={option} className="radio">
                  <input type="radio" name="role" value={option} checked={role === option} onChange={() => setRole(option)} />
                  {option === 'patient' ? 'Patient' : 'Doctor'}
                </label>
              ))}
            </fieldset>
            <TextField label="Full name" autoComplete="name" required maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </>
        )}
        {role === 'doctor' ? (
          <TextField label="Specialty (optional)" maxLength={80} value={specialty} onChange={(e) => setSpecialty(e.target.value)} />
        ) : null}
        <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <NewPasswordFields value={password} onChange={setPassword} userInputs={[email, displayName]} />
        <PrivacyNotice />
        <label className="checkbox">
          <input type="checkbox" checked={hasReadNotice} onChange={(event) => setHasReadNotice(event.target.checked)} />I have read the privacy notice
        </label>
        {register.isError ? <Alert tone="error">{describeError(register.error)}</Alert> : null}
        <Button type="submit" isBusy={register.isPending} disabled={!canSubmit}>
          {register.isPending ? 'Creating your keys…' : 'Create account'}
        </Button>
      </form>
      <p>
        Already registered? <Link to="/login">Sign in</Link>
      </p>
    </Card>
  );
}
