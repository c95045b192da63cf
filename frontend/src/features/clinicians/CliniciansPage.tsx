/**
 * The operators' page (docs/protocol.md "Clinicians"): who may be a doctor.
 * The queue of requests (oldest first), the approved, suspended and refused
 * clinicians, the decisions, and invitations for clinicians the operator
 * vouches for before they have an account.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { CLINICIAN_STATUSES, type ClinicianStatus } from '@phr/shared-types';
import { clinicianKeys } from '../../api/clinicians.js';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ShowMore } from '../../ui/ShowMore.js';
import { useSession } from '../auth/session.js';
import { ClinicianCard } from './ClinicianCard.js';
import { STATUS_LABELS } from './decision-errors.js';
import { InviteClinicianForm } from './InviteClinicianForm.js';

const PAGE_SIZE = 20;

export function CliniciansPage() {
  const { clinicians } = useSession();
  const [status, setStatus] = useState<ClinicianStatus>('pending');
  const [notice, setNotice] = useState<string | null>(null);
  const list = useInfiniteQuery({
    queryKey: clinicianKeys.list(status),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => clinicians.list({ status, cursor: pageParam, limit: PAGE_SIZE }),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section className="card wide stack" aria-labelledby="clinicians-title">
      <h1 id="clinicians-title" tabIndex={-1}>Clinicians</h1>
      <p className="muted">
        Patients find and share with approved clinicians only. Check each request’s licence or registration number with the organisation before you
        approve it.
      </p>
      <div className="row" role="group" aria-label="Show clinicians">
        {CLINICIAN_STATUSES.map((option) => (
          <Button
            key={option}
            type="button"
            variant={option === status ? 'primary' : 'secondary'}
            aria-pressed={option === status}
            onClick={() => {
              setNotice(null);
              setStatus(option);
            }}
          >
            {STATUS_LABELS[option]}
          </Button>
        ))}
      </div>
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {list.error ? <Alert tone="error">{describeError(list.error)}</Alert> : null}
      {list.isPending ? <p className="muted">Loading…</p> : null}
      {list.isSuccess && rows.length === 0 ? <p className="muted">{EMPTY[status]}</p> : null}
      <ul className="clinician-list" aria-label={`${STATUS_LABELS[status]} clinicians`}>
        {rows.map((clinician) => (
          <li key={clinician.id}>
            <ClinicianCard clinician={clinician} onDecided={setNotice} />
          </li>
        ))}
      </ul>
      <ShowMore list={list} />
      <InviteClinicianForm />
    </section>
  );
}

const EMPTY: Record<ClinicianStatus, string> = {
  pending: 'No clinician is waiting for a decision.',
  approved: 'No approved clinicians.',
  suspended: 'No suspended clinicians.',
  refused: 'No refused requests.',
};
