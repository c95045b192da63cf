import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import type { SelfRegisteringRole } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { registerAccount } from './account-flows.js';
import { NewPasswordFields, useNewPassword, type NewPassword } from './NewPasswordFields.js';
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
  const { isReady } = useNewPassword(password, [email, displayName]);

  const register = useMutation({
    mutationFn: () => registerAccount(api, vault, { email, displayName, role, specialty, password: password.password, invitation }),
    onSuccess: ({ recoveryCode, ...session }) => {
      start(session, recoveryCode);
      navigate('/recovery-code');
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (isReady) register.mutate();
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
        {register.isError ? <Alert tone="error">{describeError(register.error)}</Alert> : null}
        <Button type="submit" isBusy={register.isPending} disabled={!isReady || !email || (!invitation && !displayName)}>
          {register.isPending ? 'Creating your keys…' : 'Create account'}
        </Button>
      </form>
      <p>
        Already registered? <Link to="/login">Sign in</Link>
      </p>
    </Card>
  );
}
