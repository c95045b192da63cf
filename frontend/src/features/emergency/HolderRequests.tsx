/**
 * A holder's pending break-glass requests (docs/protocol.md "Break-glass", releasing a share):
 * who broke the glass, why and when; the clinician's key proven in the key directory and its
 * numbers shown; the holder's own share opened and re-wrapped for that key in the crypto worker.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { EmergencyShareRequest } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { auditKeys } from '../../api/audit.js';
import { emergencyKeys } from '../../api/emergency.js';
import { refetchAfterChange } from '../../api/invalidate.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { useTrust } from '../trust/TrustProvider.js';
import { ClinicianAndReason } from './ClinicianAndReason.js';
import { when } from './emergency-words.js';

export function HolderRequests() {
  const { emergency } = useSession();
  const requests = useQuery({ queryKey: emergencyKeys.requests(), queryFn: () => emergency.requests(), refetchInterval: 15_000 });
  const [declined, setDeclined] = useState<string[]>([]);
  // A released request leaves the API's list; what was done stays said here.
  const [released, setReleased] = useState<string[]>([]);
  const items = (requests.data?.items ?? []).filter((item) => !declined.includes(item.breakGlass.id));
  return (
    <section aria-labelledby="holder-requests-heading" className="card stack">
      <h2 id="holder-requests-heading">Emergency requests for your share</h2>
      {requests.error ? <Alert tone="error">{describeError(requests.error)}</Alert> : null}
      {released.map((message) => (
        <Alert key={message} tone="success">
          {message}
        </Alert>
      ))}
      {requests.data && items.length === 0 ? <p className="muted">No clinician is waiting for your share.</p> : null}
      <ul className="stack plain-list" aria-label="Requests for your share">
        {items.map((item) => (
          <ShareRequest
            key={item.breakGlass.id}
            request={item}
            onDecline={() => setDeclined((ids) => [...ids, item.breakGlass.id])}
            onReleased={(message) => setReleased((messages) => [...messages, message])}
          />
        ))}
      </ul>
    </section>
  );
}

function ShareRequest({ request, onDecline, onReleased }: { request: EmergencyShareRequest; onDecline(): void; onReleased(message: string): void }) {
  const { emergency, vault } = useSession();
  const { proveKey } = useTrust();
  const queryClient = useQueryClient();
  const { breakGlass } = request;
  const proven = useQuery({
    queryKey: emergencyKeys.clinicianKey(breakGlass.clinicianId, request.clinicianPublicKey),
    retry: false,
    staleTime: Infinity,
    queryFn: () => proveKey(breakGlass.clinicianId, breakGlass.clinicianName, [{ where: 'the break-glass request', publicKey: request.clinicianPublicKey }]),
  });
  const release = useMutation({
    mutationFn: async () => emergency.release(breakGlass.id, await vault.releaseEmergencyShare(request)),
    onSuccess: async () => {
      onReleased(`Your share was released to ${breakGlass.clinicianName} for the records of ${breakGlass.patientName}.`);
      await refetchAfterChange(queryClient, emergencyKeys.all);
      await refetchAfterChange(queryClient, auditKeys.all);
    },
  });
  const headingId = `request-${breakGlass.id}`;
  return (
    <li className="card stack" aria-labelledby={headingId} data-testid="share-request">
      <h3 id={headingId}>
        {breakGlass.clinicianName} asks for emergency access to the records of {breakGlass.patientName}
      </h3>
      <dl className="details">
        <ClinicianAndReason breakGlass={breakGlass} reasonTestId="request-reason" />
        <dt>Asked</dt>
        <dd>{when(breakGlass.createdAt)}</dd>
        <dt>Shares</dt>
        <dd>
          {breakGlass.sharesReleased} of {breakGlass.threshold} released
        </dd>
      </dl>
      {proven.isPending ? <p className="muted">Verifying the key of {breakGlass.clinicianName} in the key directory…</p> : null}
      {proven.error ? (
        <Alert tone="error">
          The key the server gave for {breakGlass.clinicianName} failed verification, so your share cannot be released to it: {describeError(proven.error)}
        </Alert>
      ) : null}
      {proven.data ? (
        <>
          <p>Key fingerprint of {breakGlass.clinicianName} (compare it with them if you can):</p>
          <p className="fingerprint" data-testid="clinician-fingerprint">
            {formatFingerprint(proven.data.fingerprint)}
          </p>
        </>
      ) : null}
      {release.error ? <Alert tone="error">{describeError(release.error)}</Alert> : null}
      {release.isSuccess ? null : (
        <div className="row">
          <Button type="button" isBusy={release.isPending} disabled={!proven.data} onClick={() => release.mutate()}>
            Release my share to {breakGlass.clinicianName}
          </Button>
          <Button type="button" variant="secondary" onClick={onDecline}>
            Do not release
          </Button>
        </div>
      )}
    </li>
  );
}
