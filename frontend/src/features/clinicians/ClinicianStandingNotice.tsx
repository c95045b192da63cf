/** What a doctor whose account no operator vouches for (yet, or any more) is told on every page. */
import { Alert } from '../../ui/Alert.js';
import { useFreshStanding } from './clinician-standing.js';

export function ClinicianStandingNotice() {
  const standing = useFreshStanding();
  if (!standing || standing.status === 'approved') return null;
  return (
    <div data-testid="clinician-standing" data-status={standing.status}>
      {standing.status === 'pending' ? (
        <Alert tone="info">
          Your account is awaiting verification by an operator: patients cannot find you or share with you yet. The operator checks your licence or
          registration number ({standing.licence}) with {standing.organisation}.
        </Alert>
      ) : null}
      {standing.status === 'refused' ? (
        <Alert tone="error">
          An operator refused to verify your account: patients cannot find you or share with you. Reason given: {standing.reason ?? 'none'}
        </Alert>
      ) : null}
      {standing.status === 'suspended' ? (
        <Alert tone="error">
          An operator suspended your account: you cannot read shared records, and patients cannot share with you. Reason given: {standing.reason ?? 'none'}
        </Alert>
      ) : null}
    </div>
  );
}
