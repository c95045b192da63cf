import { useQuery } from '@tanstack/react-query';
import { Navigate } from 'react-router-dom';
import type { ClinicianStanding } from '@phr/shared-types';
import { accountKeys } from '../../api/auth.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';
import { verifiedText } from '../clinicians/clinician-standing.js';
import { ExportPanel } from '../export/ExportPanel.js';
import { ChangePasswordForm } from './ChangePasswordForm.js';
import { DeleteAccountForm } from './DeleteAccountForm.js';
import { DetailsForm } from './DetailsForm.js';
import { KeyRotationCard } from './KeyRotationCard.js';
import { KeyPairCard } from './KeyPairCard.js';
import { SecurityKeysCard } from './SecurityKeysCard.js';
import { SessionsCard } from './SessionsCard.js';

function standingText(standing: ClinicianStanding): string {
  if (standing.status === 'approved') return verifiedText(standing.verifiedBy, standing.verifiedAt);
  if (standing.status === 'pending') return 'Awaiting verification by an operator';
  return `${standing.status === 'refused' ? 'Refused' : 'Suspended'} by an operator${standing.reason ? `: ${standing.reason}` : ''}`;
}

export function AccountPage() {
  const { user, vault } = useSession();
  // DESIGN 4.5: from the key this browser proved against its private key at sign-in, never the server's `fingerprint` field.
  const fingerprint = useQuery({ queryKey: accountKeys.ownFingerprint(), enabled: user !== null, queryFn: () => vault.ownFingerprint() });
  if (!user) return <Navigate to="/login" replace />;
  // Auditors and operators hold no records: nothing for an account-key rotation to re-seal; their accounts end with the operator's step.
  const isStaff = user.role === 'auditor' || user.role === 'operator';
  const sections = accountSections(isStaff);
  return (
    <>
      <nav className="section-nav" aria-label="Account sections">
        {sections.map((section) => (
          <a key={section.id} href={`#${section.id}`}>
            {section.label}
          </a>
        ))}
      </nav>
      <div id="profile" className="account-section">
        <Card title="Your account">
          <dl className="facts">
            <dt>Name</dt>
            <dd>{user.displayName}</dd>
            <dt>Email</dt>
            <dd>{user.email}</dd>
            <dt>Role</dt>
            <dd className="capitalize">{user.role}</dd>
            {user.clinician ? (
              <>
                <dt>Licence or registration number</dt>
                <dd>{user.clinician.licence}</dd>
                <dt>Organisation</dt>
                <dd>{user.clinician.organisation}</dd>
                <dt>Verification</dt>
                <dd data-testid="clinician-verification">{standingText(user.clinician)}</dd>
              </>
            ) : null}
          </dl>
          <h2>Your key fingerprint</h2>
          <p className="fingerprint" data-testid="fingerprint">
            {fingerprint.data ? formatFingerprint(fingerprint.data) : 'Computing…'}
          </p>
          <p className="muted">
            When a patient shares a record with a doctor, both see this number. Read it aloud to each other (in person or on the phone): if the
            numbers match, the record is encrypted for the right person and nobody in between.
          </p>
        </Card>
        <DetailsForm key={user.id} />
      </div>
      <div id="security" className="account-section">
        <ChangePasswordForm />
        <SecurityKeysCard />
        <SessionsCard />
      </div>
      <div id="keys" className="account-section">
        {isStaff ? null : <KeyRotationCard />}
        <KeyPairCard />
      </div>
      {isStaff ? null : (
        <div id="data" className="account-section">
          {user.role === 'patient' ? <ExportPanel /> : null}
          <DeleteAccountForm />
        </div>
      )}
    </>
  );
}

/**
 * The page's parts, for its section links: who you are, how you sign in, your keys, your data.
 * No label says "account": the main navigation's Account link keeps its name to itself.
 */
function accountSections(isStaff: boolean): Array<{ id: string; label: string }> {
  return [
    { id: 'profile', label: 'Profile' },
    { id: 'security', label: 'Password, security keys and sessions' },
    { id: 'keys', label: 'Encryption keys' },
    ...(isStaff ? [] : [{ id: 'data', label: 'Your data' }]),
  ];
}
