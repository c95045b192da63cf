import { useQuery } from '@tanstack/react-query';
import { Navigate } from 'react-router-dom';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';
import { ExportPanel } from '../export/ExportPanel.js';
import { ChangePasswordForm } from './ChangePasswordForm.js';
import { DeleteAccountForm } from './DeleteAccountForm.js';
import { DetailsForm } from './DetailsForm.js';
import { KeyRotationCard } from './KeyRotationCard.js';
import { KeyPairCard } from './KeyPairCard.js';
import { SecurityKeysCard } from './SecurityKeysCard.js';
import { SessionsCard } from './SessionsCard.js';

export function AccountPage() {
  const { user, vault } = useSession();
  // DESIGN 4.5: from the key this browser proved against its private key at sign-in, never the server's `fingerprint` field.
  const fingerprint = useQuery({ queryKey: ['own-fingerprint', user?.id], enabled: user !== null, queryFn: () => vault.ownFingerprint() });
  if (!user) return <Navigate to="/login" replace />;
  return (
    <>
      <Card title="Your account">
        <dl className="facts">
          <dt>Name</dt>
          <dd>{user.displayName}</dd>
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Role</dt>
          <dd className="capitalize">{user.role}</dd>
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
      {user.role === 'patient' ? <ExportPanel /> : null}
      <ChangePasswordForm />
      {user.role === 'auditor' ? null : <KeyRotationCard />}
      <KeyPairCard />
      <SecurityKeysCard />
      <SessionsCard />
      {user.role === 'auditor' ? null : <DeleteAccountForm />}
    </>
  );
}
