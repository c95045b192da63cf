/**
 * The auditors' review queue of break-glass accesses (docs/protocol.md "Break-glass", review):
 * every break, not yet reviewed first, with the outcome form (justified or not, and a note).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { EMERGENCY_REVIEW_NOTE_MAX_CHARS, type EmergencyBreak, type EmergencyReviewOutcome } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { auditKeys } from '../../api/audit.js';
import { emergencyKeys } from '../../api/emergency.js';
import { refetchAfterChange } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { ClinicianAndReason } from './ClinicianAndReason.js';
import { breakStateText, when } from './emergency-words.js';

const OUTCOME_WORDS: Record<EmergencyReviewOutcome, string> = { justified: 'Justified', 'not-justified': 'Not justified' };

export function EmergencyReviewsPage() {
  const { emergency } = useSession();
  const [status, setStatus] = useState<'pending' | 'reviewed'>('pending');
  const reviews = useQuery({ queryKey: emergencyKeys.reviews(status), queryFn: () => emergency.reviews(status) });
  return (
    <section className="card wide stack emergency-page" aria-labelledby="reviews-title">
      <h1 id="reviews-title" tabIndex={-1}>
        Emergency access reviews
      </h1>
      <label>
        Show
        <select value={status} onChange={(event) => setStatus(event.target.value as 'pending' | 'reviewed')}>
          <option value="pending">Not reviewed yet</option>
          <option value="reviewed">Reviewed</option>
        </select>
      </label>
      {reviews.error ? <Alert tone="error">{describeError(reviews.error)}</Alert> : null}
      {reviews.data && reviews.data.items.length === 0 ? <p className="muted">{status === 'pending' ? 'No break waits for a review.' : 'No break was reviewed yet.'}</p> : null}
      <ul className="stack plain-list" aria-label="Emergency accesses to review">
        {reviews.data?.items.map((item) => (
          <ReviewItem key={item.id} breakGlass={item} />
        ))}
      </ul>
    </section>
  );
}

function ReviewItem({ breakGlass }: { breakGlass: EmergencyBreak }) {
  const { emergency } = useSession();
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<EmergencyReviewOutcome | null>(null);
  const [note, setNote] = useState('');
  const review = useMutation({
    mutationFn: () => emergency.review(breakGlass.id, { outcome: outcome as EmergencyReviewOutcome, note: note.trim() }),
    onSuccess: async () => {
      await refetchAfterChange(queryClient, emergencyKeys.all);
      await refetchAfterChange(queryClient, auditKeys.all);
    },
  });
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    review.mutate();
  };
  const headingId = `review-${breakGlass.id}`;
  const noteId = `review-note-${breakGlass.id}`;
  return (
    <li className="card stack" aria-labelledby={headingId} data-testid="review-item">
      <h2 id={headingId}>
        {breakGlass.clinicianName} opened the records of {breakGlass.patientName}
      </h2>
      <dl className="details">
        <ClinicianAndReason breakGlass={breakGlass} />
        <dt>When</dt>
        <dd>{when(breakGlass.createdAt)}</dd>
        <dt>State</dt>
        <dd>{breakStateText(breakGlass)}</dd>
        {breakGlass.reviewOutcome ? (
          <>
            <dt>Review</dt>
            <dd data-testid="review-outcome">
              {OUTCOME_WORDS[breakGlass.reviewOutcome]} on {when(breakGlass.reviewedAt ?? breakGlass.createdAt)}: {breakGlass.reviewNote}
            </dd>
          </>
        ) : null}
      </dl>
      <form onSubmit={submit} className="stack" aria-label={`Review of the access by ${breakGlass.clinicianName}`}>
        <fieldset className="stack">
          <legend>Outcome</legend>
          {(['justified', 'not-justified'] as const).map((value) => (
            <label key={value} className="radio">
              <input type="radio" name={`outcome-${breakGlass.id}`} value={value} checked={outcome === value} onChange={() => setOutcome(value)} />
              {OUTCOME_WORDS[value]}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={noteId}>Note</label>
          <input id={noteId} value={note} maxLength={EMERGENCY_REVIEW_NOTE_MAX_CHARS} onChange={(event) => setNote(event.target.value.replace(/[\r\n]+/g, ' '))} required />
        </div>
        {review.error ? <Alert tone="error">{describeError(review.error)}</Alert> : null}
        {review.isSuccess ? <Alert tone="success">Review recorded.</Alert> : null}
        <div className="row">
          <Button type="submit" isBusy={review.isPending} disabled={outcome === null || note.trim() === ''}>
            Record the review
          </Button>
        </div>
      </form>
    </li>
  );
}
