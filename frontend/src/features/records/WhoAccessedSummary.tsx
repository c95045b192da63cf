/**
 * "Who accessed my records": the people other than the patient who opened, or tried to open,
 * the patient's records in the last 30 days (GET /audit/access-summary). Names are the
 * server's, for display; the trail itself is verified on the audit page.
 */
import { useQuery } from '@tanstack/react-query';
import { ACCESS_SUMMARY_DAYS } from '@phr/shared-types';
import { Link } from 'react-router-dom';
import { auditKeys } from '../../api/audit.js';
import { useSession } from '../auth/session.js';
import { personName } from '../audit/trail-names.js';

export function WhoAccessedSummary() {
  const { audit } = useSession();
  const summary = useQuery({ queryKey: auditKeys.accessSummary(), queryFn: () => audit.accessSummary() });
  return (
    <section className="card stack" aria-labelledby="who-accessed-title" data-testid="who-accessed">
      <h2 id="who-accessed-title">Who accessed my records</h2>
      <p className="muted">Other people, in the last {ACCESS_SUMMARY_DAYS} days.</p>
      {summary.data && summary.data.people.length === 0 ? <p>No one else has opened your records.</p> : null}
      {summary.data && summary.data.people.length > 0 ? (
        <ul className="plain-list">
          {summary.data.people.map((entry) => (
            <li key={entry.actorId} data-testid="who-accessed-entry">
              <strong>{entry.displayName ? personName({ displayName: entry.displayName, role: entry.role === 'doctor' ? 'doctor' : 'patient' }) : 'An account no longer registered'}</strong>{' '}
              {entry.reads > 0 ? `opened ${entry.records === 1 ? '1 record' : `${entry.records} records`} (${entry.reads === 1 ? 'once' : `${entry.reads} times`})` : null}
              {entry.reads > 0 && entry.denied > 0 ? ', ' : null}
              {entry.denied > 0 ? `was refused ${entry.denied === 1 ? 'once' : `${entry.denied} times`}` : null}
              <span className="muted"> · last {new Date(entry.lastAt).toLocaleString()}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <Link to="/audit">See the whole trail</Link>
    </section>
  );
}
