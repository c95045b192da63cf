import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type SubmitEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { LICENCE_MAX_LENGTH, ORGANISATION_MAX_LENGTH, PRIVACY_NOTICE_VERSION, type SelfRegisteringRole } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { registerAccount } from './account-flows.js';
import { NewPasswordFields, useNewPassword, type NewPassword } from './NewPasswordFields.js';
import { PrivacyNotice } from './PrivacyNotice.js';
import { readInvitationLink, readRegistrationLink, type InvitationLink, type RegistrationLink } from './registration-link.js';
import { RoleChoice } from './RoleChoice.js';
import { StartRegistration } from './StartRegistration.js';
import { useSession } from './session.js';

/**
 * /register: step one asks for the email (StartRegistration); the link mailed
 * to it opens step two, the account form. An invited person arrives instead
 * with a one-time invitation, which proves the email too: a clinician an
 * operator invited (#invitation=…&email=…), or an auditor or operator with the
 * code of the operator's command-line step (?invitation=…).
 */
export function RegisterPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const [link, setLink] = useState<RegistrationLink | null>(null);
  const [invitationInMemory, setInvitationInMemory] = useState<InvitationLink | null>(null);
  const linkInAddress = readRegistrationLink(location.hash);
  const invitationInAddress = readInvitationLink(location.hash, location.search);

  // The token or code is kept in memory only: off the address bar and out of the history. A link
  // opened in a tab that already shows this page arrives as a new fragment, not a new page.
  useEffect(() => {
    if (!location.hash) return;
    const opened = readRegistrationLink(location.hash);
    if (opened) setLink(opened);
    const invited = readInvitationLink(location.hash, '');
    if (invited) setInvitationInMemory(invited);
    void navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location.hash, location.pathname, location.search, navigate]);

  const invitation = invitationInAddress ?? invitationInMemory;
  if (invitation) return <AccountForm key={invitation.code} proof={{ invitation }} />;
  const current = linkInAddress ?? link;
  if (current) return <AccountForm key={current.token} proof={{ link: current }} onStartAgain={() => setLink(null)} />;
  return <StartRegistration />;
}

type Proof = { invitation: InvitationLink; link?: undefined } | { link: RegistrationLink; invitation?: undefined };

function AccountForm({ proof, onStartAgain }: { proof: Proof; onStartAgain?: () => void }) {
  const { api, vault, start } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState(proof.link?.email ?? proof.invitation?.email ?? '');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<SelfRegisteringRole>(proof.link?.role ?? 'patient');
  const [specialty, setSpecialty] = useState('');
  const [licence, setLicence] = useState('');
  const [organisation, setOrganisation] = useState('');
  const [password, setPassword] = useState<NewPassword>({ password: '', confirmation: '' });
  const [hasReadNotice, setHasReadNotice] = useState(false);
  const newPassword = useNewPassword(password, [email, displayName]);
  const isInvited = Boolean(proof.invitation);
  const hasDoctorDetails = role !== 'doctor' || (Boolean(licence.trim()) && Boolean(organisation.trim()));
  const canSubmit = newPassword.isReady && hasReadNotice && Boolean(email) && (isInvited || (Boolean(displayName.trim()) && hasDoctorDetails));

  const register = useMutation({
    mutationFn: () =>
      registerAccount(api, vault, {
        email,
        displayName,
        role,
        specialty,
        licence,
        organisation,
        password: password.password,
        invitation: proof.invitation?.code,
        registrationToken: proof.link?.token,
        privacyNoticeVersion: PRIVACY_NOTICE_VERSION,
      }),
    onSuccess: ({ recoveryCode, ...session }) => {
      start(session, recoveryCode);
      void navigate('/recovery-code');
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (canSubmit) register.mutate();
  };

  return (
    <Card title={isInvited ? 'Accept your invitation' : 'Choose your password'}>
      <p className="lead">
        Your password never leaves this browser. It unlocks the keys that encrypt your records, so choose one you will remember.
      </p>
      <form onSubmit={submit} noValidate>
        {isInvited ? (
          <>
            <p className="muted">
              Your invitation says your role and your name: an auditor, an operator, or a clinician an operator vouched for. Use the email your invitation
              was sent to.
            </p>
            <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </>
        ) : (
          <>
            <p>
              Creating the account for <strong data-testid="registration-email">{email}</strong>, the address the link was sent to.
            </p>
            <RoleChoice value={role} onChange={setRole} />
            <TextField label="Full name" autoComplete="name" required maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
            {role === 'doctor' ? (
              <>
                <TextField label="Specialty (optional)" maxLength={80} value={specialty} onChange={(e) => setSpecialty(e.target.value)} />
                <TextField
                  label="Licence or registration number"
                  required
                  maxLength={LICENCE_MAX_LENGTH}
                  value={licence}
                  onChange={(e) => setLicence(e.target.value)}
                  hint="An operator checks it with your organisation before patients can find you or share records with you."
                />
                <TextField label="Organisation" required maxLength={ORGANISATION_MAX_LENGTH} value={organisation} onChange={(e) => setOrganisation(e.target.value)} />
              </>
            ) : null}
          </>
        )}
        <NewPasswordFields value={password} onChange={setPassword} check={newPassword} />
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
