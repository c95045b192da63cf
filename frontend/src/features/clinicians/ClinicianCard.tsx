/**
 * One clinician as an operator sees them: who they say they are, what the name
 * checks found, and the decisions that apply to where they stand. A refusal
 * and a suspension ask for a reason, which the clinician is shown.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { CLINICIAN_REASON_MAX_LENGTH, type ClinicianSummary } from '@phr/shared-types';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { describeDecisionError, STATUS_LABELS } from './decision-errors.js';

type Decision = 'approve' | 'refuse' | 'suspend' | 'reinstate';

const DONE: Record<Decision, string> = { approve: 'Approved', refuse: 'Refused', suspend: 'Suspended', reinstate: 'Reinstated' };

export function ClinicianCard({ clinician, onDecided }: { clinician: ClinicianSummary; onDecided(message: string): void }) {
  const { clinicians } = useSession();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<'refuse' | 'suspend' | null>(null);
  const [reason, setReason] = useState('');
  const name = clinician.displayName;

  const decide = useMutation({
    mutationFn: (decision: Decision) => {
      if (decision === 'approve') return clinicians.approve(clinician.id);
      if (decision === 'reinstate') return clinicians.reinstate(clinician.id);
      return decision === 'refuse' ? clinicians.refuse(clinician.id, reason.trim()) : clinicians.suspend(clinician.id, reason.trim());
    },
    onSuccess: async (_, decision) => {
      setAsking(null);
      setReason('');
      onDecided(`${DONE[decision]} ${name}.`);
      await invalidateAfter(queryClient, 'clinicianDecided');
    },
    onError: async () => {
      // Where they stand may have changed under this page (another operator): show it as it is now.
      await invalidateAfter(queryClient, 'clinicianDecided');
    },
  });

  const confirmWithReason = (event: SubmitEvent) => {
    event.preventDefault();
    if (asking && reason.trim()) decide.mutate(asking);
  };

  return (
    <article className="clinician stack" aria-label={name} data-testid="clinician">
      <h2>{name}</h2>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{clinician.email}</dd>
        <dt>Licence or registration number</dt>
        <dd>{clinician.licence}</dd>
        <dt>Organisation</dt>
        <dd>{clinician.organisation}</dd>
        <dt>Specialty</dt>
        <dd>{clinician.specialty ?? '—'}</dd>
        <dt>Requested</dt>
        <dd>
          {new Date(clinician.requestedAt).toLocaleString()} · {clinician.origin === 'invitation' ? 'invited by an operator' : 'registered themselves'}
        </dd>
        <dt>Standing</dt>
        <dd data-testid="clinician-status">
          {STATUS_LABELS[clinician.status]}
          {clinician.decidedBy ? ` · by ${clinician.decidedBy}` : ''}
          {clinician.decidedAt ? ` on ${new Date(clinician.decidedAt).toLocaleString()}` : ''}
          {clinician.reason ? ` · reason: ${clinician.reason}` : ''}
        </dd>
      </dl>
      <NameCheckWarnings clinician={clinician} />
      {decide.error ? <Alert tone="error">{describeDecisionError(decide.error, clinician)}</Alert> : null}
      {asking ? (
        <form onSubmit={confirmWithReason} className="stack">
          <label htmlFor={`reason-${clinician.id}`}>{asking === 'refuse' ? 'Why do you refuse' : 'Why do you suspend'} {name}? (shown to them)</label>
          <textarea id={`reason-${clinician.id}`} required maxLength={CLINICIAN_REASON_MAX_LENGTH} value={reason} onChange={(event) => setReason(event.target.value)} />
          {asking === 'suspend' ? (
            <p className="muted">From now on {name} cannot read anything patients shared; the patients are told. Reinstating restores their access.</p>
          ) : null}
          <div className="row">
            <Button type="submit" variant="danger" isBusy={decide.isPending} disabled={!reason.trim()}>
              {asking === 'refuse' ? 'Confirm refusal' : 'Confirm suspension'}
            </Button>
            <Button type="button" variant="secondary" onClick={() => setAsking(null)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="row">
          {clinician.status === 'pending' || clinician.status === 'refused' ? (
            <Button type="button" isBusy={decide.isPending && decide.variables === 'approve'} onClick={() => decide.mutate('approve')} aria-label={`Approve ${name}`}>
              Approve
            </Button>
          ) : null}
          {clinician.status === 'pending' ? (
            <Button type="button" variant="secondary" onClick={() => setAsking('refuse')} aria-label={`Refuse ${name}`}>
              Refuse
            </Button>
          ) : null}
          {clinician.status === 'approved' ? (
            <Button type="button" variant="danger" onClick={() => setAsking('suspend')} aria-label={`Suspend ${name}`}>
              Suspend
            </Button>
          ) : null}
          {clinician.status === 'suspended' ? (
            <Button type="button" isBusy={decide.isPending && decide.variables === 'reinstate'} onClick={() => decide.mutate('reinstate')} aria-label={`Reinstate ${name}`}>
              Reinstate
            </Button>
          ) : null}
        </div>
      )}
    </article>
  );
}

/** The name checks of docs/protocol.md "Clinicians", for the operator to weigh before approving. */
function NameCheckWarnings({ clinician }: { clinician: ClinicianSummary }) {
  const { mixedScript, looksLike } = clinician.nameCheck;
  if (!mixedScript && looksLike.length === 0) return null;
  return (
    <ul className="alert alert-error name-check" data-testid="name-check" aria-label={`Name checks for ${clinician.displayName}`}>
      {mixedScript ? <li>Mixed scripts: the name mixes letters of more than one alphabet (such as a Cyrillic “А” among Latin letters).</li> : null}
      {looksLike.map((other) => (
        <li key={other.id}>
          Looks like {other.displayName} ({other.organisation}), a verified clinician.
        </li>
      ))}
    </ul>
  );
}
