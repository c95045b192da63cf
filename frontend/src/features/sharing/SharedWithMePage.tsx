/**
 * A doctor's view: active consents received, grouped by patient (their name, when each share was
 * made, "New" for a share of the last week), with the records each covers. Read-only; it asks
 * again on focus and every SHARED_REFRESH_MS, so a revocation shows without a reload. Folder
 * names are sealed under the patient's account key, so a folder share says "One folder" only.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Consent } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { consentKeys } from '../../api/consents.js';
import { Alert } from '../../ui/Alert.js';
import { useSession } from '../auth/session.js';
import { RecordList } from '../records/RecordList.js';
import { SHARED_REFRESH_MS } from '../records/useRecordQueries.js';
import { scopeText, untilText } from './ConsentsPage.js';

export function SharedWithMePage() {
  const { consents } = useSession();
  const received = useQuery({
    queryKey: consentKeys.list('active'),
    queryFn: () => consents.list({ status: 'active' }),
    refetchOnWindowFocus: 'always',
    refetchInterval: SHARED_REFRESH_MS,
  });
  const [ended, setEnded] = useState<string | null>(null);
  const byPatient = new Map<string, Consent[]>();
  for (const consent of received.data?.items ?? []) byPatient.set(consent.patientId, [...(byPatient.get(consent.patientId) ?? []), consent]);

  return (
    <div className="records-page">
      <h1 tabIndex={-1}>Shared with me</h1>
      {received.error ? <Alert tone="error">{describeError(received.error)}</Alert> : null}
      {ended ? <Alert tone="error">{ended}</Alert> : null}
      {received.data && byPatient.size === 0 ? <p className="muted">No patient shares records with you at the moment.</p> : null}
      {[...byPatient.entries()].map(([patientId, consents]) => (
        <section key={patientId} className="stack" aria-label={consents[0].patientName} data-testid="shared-patient">
          <h2>{consents[0].patientName}</h2>
          <ul>
            {consents.map((consent) => (
              <li key={consent.id}>
                {isNew(consent) ? <span className="badge badge-ok">New</span> : null} {scopeText(consent)} · shared on {new Date(consent.createdAt).toLocaleDateString()} ·{' '}
                {untilText(consent)}
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
          <RecordList ownerId={patientId} canChange={false} title={`Records of ${consents[0].patientName}`} onAccessEnded={setEnded} />
        </section>
      ))}
    </div>
  );
}

/** A share made in the last week: shown with a "New" badge. */
const NEW_FOR_MS = 7 * 86_400_000;

function isNew(consent: Pick<Consent, 'createdAt'>): boolean {
  return Date.now() - new Date(consent.createdAt).getTime() < NEW_FOR_MS;
}
