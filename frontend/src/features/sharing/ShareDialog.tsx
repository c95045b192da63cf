/**
 * Share with a doctor (DESIGN 5): find the doctor, compare their key
 * fingerprint aloud, choose scope and expiry; the browser wraps every file
 * key in scope for that doctor and one call creates the consent.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ConsentScope, DoctorSummary } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { allRecordsIn } from '../records/useRecordQueries.js';
import { today } from '../records/format.js';

export interface ShareTarget {
  scope: ConsentScope;
  recordId?: string;
  folderId?: string;
  /** What is shared, in words: "the record “Blood panel”", "the folder “Cardiology”", "all your records". */
  label: string;
}

export function ShareDialog({ target, onClose }: { target: ShareTarget; onClose(): void }) {
  const { user, records, vault } = useSession();
  const queryClient = useQueryClient();
  const [query, setQuery] = useState('');
  const [doctor, setDoctor] = useState<DoctorSummary | null>(null);
  const [until, setUntil] = useState('');
  const [purpose, setPurpose] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const searchField = useRef<HTMLInputElement>(null);
  useEffect(() => searchField.current?.focus(), []);

  const found = useQuery({
    queryKey: ['doctors', query.trim()],
    enabled: query.trim().length >= 2,
    queryFn: () => records.searchDoctors(query.trim()),
  });
  const fingerprint = useQuery({
    queryKey: ['fingerprint', doctor?.id],
    enabled: doctor !== null,
    // Computed in this browser from the very key the file keys will be wrapped for.
    queryFn: () => vault.fingerprintOf((doctor as DoctorSummary).publicKey),
  });
  const inScope = useQuery({
    queryKey: ['share-scope', target.scope, target.recordId ?? target.folderId ?? 'all'],
    queryFn: async () => {
      const all = await allRecordsIn(records, target.scope === 'folder' ? target.folderId : undefined);
      return target.scope === 'record' ? all.filter((record) => record.id === target.recordId) : all;
    },
  });

  const share = useMutation({
    mutationFn: async () => {
      if (!doctor || !inScope.data || !user) throw new Error('Choose a doctor first');
      const { wraps } = await vault.wrapForDoctor(user.id, inScope.data, { id: doctor.id, publicKey: doctor.publicKey });
      return records.grant({
        doctorId: doctor.id,
        scope: target.scope,
        recordId: target.recordId,
        folderId: target.folderId,
        expiresAt: until ? new Date(`${until}T23:59:59`).toISOString() : undefined,
        purpose: purpose.trim() || undefined,
        wraps,
      });
    },
    onSuccess: async (consent) => {
      setDone(`Shared ${target.label} with ${consent.doctorName}.`);
      await queryClient.invalidateQueries({ queryKey: ['consents'] });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    share.mutate();
  };
  const count = inScope.data?.length;

  return (
    <div className="viewer-backdrop" onKeyDown={(event) => event.key === 'Escape' && onClose()}>
      <div className="viewer share-dialog" role="dialog" aria-modal="true" aria-label="Share with a doctor">
        <h2>Share {target.label}</h2>
        {done ? (
          <>
            <Alert tone="success">{done}</Alert>
            <Button type="button" onClick={onClose}>
              Close
            </Button>
          </>
        ) : (
          <form onSubmit={submit} className="stack">
            <label htmlFor="doctor-search">Find a doctor (name or email)</label>
            <input id="doctor-search" ref={searchField} value={query} onChange={(event) => setQuery(event.target.value)} autoComplete="off" />
            {found.data && found.data.items.length === 0 ? <p className="muted">No doctor matches.</p> : null}
            <ul className="doctor-list" aria-label="Doctors found">
              {found.data?.items.map((item) => (
                <li key={item.id}>
                  <label className="radio">
                    <input type="radio" name="doctor" checked={doctor?.id === item.id} onChange={() => setDoctor(item)} />
                    {item.displayName}
                    {item.specialty ? <span className="muted"> · {item.specialty}</span> : null}
                  </label>
                </li>
              ))}
            </ul>
            {doctor && fingerprint.data ? (
              <div>
                <p>
                  Key fingerprint of {doctor.displayName}:
                </p>
                <p className="fingerprint" data-testid="doctor-fingerprint">
                  {formatFingerprint(fingerprint.data)}
                </p>
                {fingerprint.data !== doctor.fingerprint ? (
                  <Alert tone="error">This key does not match the fingerprint the server lists for this doctor. Do not share.</Alert>
                ) : (
                  <p className="muted">Read these numbers aloud with your doctor (in person or on the phone). If they match the ones on the doctor’s account page, only that doctor can open what you share.</p>
                )}
              </div>
            ) : null}
            <label htmlFor="share-until">Until (optional)</label>
            <input id="share-until" type="date" min={today()} value={until} onChange={(event) => setUntil(event.target.value)} />
            <label htmlFor="share-purpose">Purpose (optional)</label>
            <input id="share-purpose" maxLength={200} value={purpose} onChange={(event) => setPurpose(event.target.value)} />
            <p data-testid="share-count">{count === undefined ? 'Counting records…' : `This shares ${count} record${count === 1 ? '' : 's'}${target.scope === 'record' ? '' : ', and new ones you add here while the consent lasts'}.`}</p>
            {share.error ? <Alert tone="error">{describeError(share.error)}</Alert> : null}
            <div className="row">
              <Button type="submit" isBusy={share.isPending} disabled={!doctor || !fingerprint.data || fingerprint.data !== doctor.fingerprint || count === undefined}>
                Share
              </Button>
              <Button type="button" variant="secondary" onClick={onClose}>
                Cancel
              </Button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
