import { Navigate } from 'react-router-dom';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';
import { ChangePasswordForm } from './ChangePasswordForm.js';

export function AccountPage() {
  const { user } = useSession();
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
          {formatFingerprint(user.fingerprint)}
        </p>
        <p className="muted">
          When a patient shares a record with a doctor, both see this number. Read it aloud to each other (in person or on the phone): if the
          numbers match, the record is encrypted for the right person and nobody in between.
        </p>
      </Card>
      <ChangePasswordForm />
    </>
  );
}
