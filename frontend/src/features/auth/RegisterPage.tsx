import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { PRIVACY_NOTICE_VERSION, type SelfRegisteringRole } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { registerAccount } from './account-flows.js';
import { NewPasswordFields, useNewPassword, type NewPassword } from './NewPasswordFields.js';
import { PrivacyNotice } from './PrivacyNotice.js';
import { readRegistrationLink, type RegistrationLink } from './registration-link.js';
import { RoleChoice } from './RoleChoice.js';
import { StartRegistration } from './StartRegistration.js';
import { useSession } from './session.js';

/**
 * /register: step one asks for the email (StartRegistration); the link mailed
 * to it opens step two, the account form. An auditor arrives instead with the
 * one-time code of the operator's create-auditor step (?invitation=…), which
 * proves the email too.
 */
export function RegisterPage() {
  const invitation = useSearchParams()[0].get('invitation') ?? undefined;
  const location = useLocation();
  const navigate = useNavigate();
  const [link, setLink] = useState<RegistrationLink | null>(null);
  const linkInAddress = readRegistrationLink(location.hash);

  // The token is kept in memory only: off the address bar and out of the history. A link
  // opened in a tab that already shows this page arrives as a new fragment, not a new page.
  useEffect(() => {
    if (!location.hash) return;
    const opened = readRegistrationLink(location.hash);
    if (opened) setLink(opened);
    void navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location.hash, location.pathname, location.search, navigate]);

  if (invitation) return <AccountForm proof={{ invitation }} />;
  const current = linkInAddress ?? link;
  if (current) return <AccountForm key={current.token} proof={{ link: current }} onStartAgain={() => setLink(null)} />;
  return <StartRegistration />;
}

type Proof = { invitation: string; link?: undefined } | { link: RegistrationLink; invitation?: undefined };

function AccountForm({ proof, onStartAgain }: { proof: Proof; onStartAgain?: () => void }) {
  const { api, vault, start } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState(proof.link?.email ?? '');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<SelfRegisteringRole>(proof.link?.role ?? 'patient');
  const [specialty, setSpecialty] = useState('');
  const [password, setPassword] = useState<NewPassword>({ password: '', confirmation: '' });
  const [hasReadNotice, setHasReadNotice] = useState(false);
  const { isReady } = useNewPassword(password, [email, displayName]);
  const isAuditor = Boolean(proof.invitation);
  const canSubmit = isReady && hasReadNotice && Boolean(email) && (isAuditor || Boolean(displayName.trim()));

  const register = useMutation({
    mutationFn: () =>
      registerAccount(api, vault, {
        email,
        displayName,
        role,
        specialty,
        password: password.password,
        invitation: proof.invitation,
        registrationToken: proof.link?.token,
        privacyNoticeVersion: PRIVACY_NOTICE_VERSION,
      }),
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
    <Card title={isAuditor ? 'Create your auditor account' : 'Choose your password'}>
      <p className="lead">
        Your password never leaves this browser. It unlocks the keys that encrypt your records, so choose one you will remember.
      </p>
      <form onSubmit={submit} noValidate>
        {isAuditor ? (
          <>
            <p className="muted">Auditors read every audit trail and nothing else. Use the email your invitation was made for.</p>
            <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </>
        ) : (
          <>
            <p>
              Creating the account for <strong data-testid="registration-email">{email}</strong>, the address the link was sent to.
            </p>
            <RoleChoice value={role} onChange={setRole} />
            <TextField label="Full name" autoComplete="name" required maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
            {role === 'doctor' ? <TextField label="Specialty (optional)" maxLength={80} value={specialty} onChange={(e) => setSpecialty(e.target.value)} /> : null}
          </>
        )}
        <NewPasswordFields value={password} onChange={setPassword} userInputs={[email, displayName]} />
        <PrivacyNotice />
        <label className="checkbox">
          <input type="checkbox" checked={hasReadNotice} onChange={(event) => setHasReadNotice(event.target.checked)} />I have read the privacy notice
        </label>
        {register.isError ? <RegistrationError error={register.error} onStartAgain={onStartAgain} /> : null}
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

function RegistrationError({ error, onStartAgain }: { error: unknown; onStartAgain?: () => void }) {
  const isSpentLink = error instanceof ApiError && error.body.fields?.some((problem) => problem.field === 'registrationToken');
  if (!isSpentLink) return <Alert tone="error">{describeError(error)}</Alert>;
  return (
    <Alert tone="error">
      This link has expired or was already used. Ask for a new one: we will mail it to you.{' '}
      <button type="button" className="button button-secondary" onClick={onStartAgain}>
        Start again
      </button>
    </Alert>
  );
}
