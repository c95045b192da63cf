/** A doctor's view: active consents received, grouped by patient, with the records each covers. Read-only. */
import { useQuery } from '@tanstack/react-query';
import type { Consent } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { consentKeys } from '../../api/consents.js';
import { Alert } from '../../ui/Alert.js';
import { useSession } from '../auth/session.js';
import { RecordList } from '../records/RecordList.js';
import { scopeText, untilText } from './ConsentsPage.js';

export function SharedWithMePage() {
  const { consents } = useSession();
  const received = useQuery({ queryKey: consentKeys.list('active'), queryFn: () => consents.list({ status: 'active' }) });
  const byPatient = new Map<string, Consent[]>();
  for (const consent of received.data?.items ?? []) byPatient.set(consent.patientId, [...(byPatient.get(consent.patientId) ?? []), consent]);

  return (
    <div className="records-page">
      <h1 tabIndex={-1}>Shared with me</h1>
      {received.error ? <Alert tone="error">{describeError(received.error)}</Alert> : null}
      {received.data && byPatient.size === 0 ? <p className="muted">No patient shares records with you at the moment.</p> : null}
      {[...byPatient.entries()].map(([patientId, consents]) => (
        <section key={patientId} className="stack" aria-label={consents[0].patientName} data-testid="shared-patient">
          <h2>{consents[0].patientName}</h2>
          <ul>
            {consents.map((consent) => (
              <li key={consent.id}>
                {scopeText(consent)} · {untilText(consent)}
                {consent.purpose ? ` · ${consent.purpose}` : ''}
                {consent.staleWraps > 0 ? (
                  <p className="alert alert-info" data-testid="stale-wraps">
                    {consent.staleWraps} record{consent.staleWraps === 1 ? ' was' : 's were'} shared with your previous key and cannot be opened with your new
                    one. {consents[0].patientName} must compare your new key fingerprint with you and share again; their browser offers it on their next visit.
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
          <RecordList ownerId={patientId} canChange={false} title={`Records of ${consents[0].patientName}`} />
        </section>
      ))}
    </div>
  );
}
