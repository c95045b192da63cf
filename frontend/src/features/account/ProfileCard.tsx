import { useQuery } from '@tanstack/react-query';
import type { ClinicianStanding, Me } from '@phr/shared-types';
import { accountKeys } from '../../api/auth.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';
import { verifiedText } from '../clinicians/clinician-standing.js';

function standingText(standing: ClinicianStanding): string {
  if (standing.status === 'approved') return verifiedText(standing.verifiedBy, standing.verifiedAt);
  if (standing.status === 'pending') return 'Awaiting verification by an operator';
  return `${standing.status === 'refused' ? 'Refused' : 'Suspended'} by an operator${standing.reason ? `: ${standing.reason}` : ''}`;
}

/** Who the account is, and the fingerprint people compare when they share. */
export function ProfileCard({ user }: { user: Me }) {
  const { vault } = useSession();
  // DESIGN 4.5: from the key this browser proved against its private key at sign-in, never the server's `fingerprint` field.
  const fingerprint = useQuery({ queryKey: accountKeys.ownFingerprint(), queryFn: () => vault.ownFingerprint() });
  return (
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
  );
}
