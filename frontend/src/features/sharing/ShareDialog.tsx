/**
 * Share with a doctor (DESIGN 4.5, 5): find the doctor; the browser proves
 * the doctor's key in the key directory; the patient compares its numbers
 * aloud with the doctor before the first share (remembered, sealed, as a
 * contact); then scope and expiry, and the browser wraps every file key in
 * scope for that proven key and one call creates the consent.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import type { ConsentScope, DoctorSummary, RecordSummary } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { allConsents } from '../../api/consents.js';
import { doctorKeys } from '../../api/doctors.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { recordKeys } from '../../api/records.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import type { VerifiedBinding } from '../../crypto/trust-vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { useSession } from '../auth/session.js';
import { verifiedText } from '../clinicians/clinician-standing.js';
import { consentScopeOf, recordsForConsent } from './records-for-consent.js';
import { today } from '../records/format.js';
import type { GrantedShare } from '../trust/client-state-store.js';
import { useTrust } from '../trust/TrustProvider.js';

export interface ShareTarget {
  scope: ConsentScope;
  recordId?: string;
  folderId?: string;
  /** What is shared, in words: "the record “Blood panel”", "the folder “Cardiology”", "all your records". */
  label: string;
  /** With scope "folder": the folder's name, sealed for the doctor with the consent (docs/protocol.md "Folder labels"). */
  folderName?: string;
}

/** A grant made in this dialog: what it says, and the share as asked for, with the error of keeping it, if any. */
interface Granted {
  shared: string;
  doctorName: string;
  granted: GrantedShare;
  keepError: unknown;
}

export function ShareDialog({ target, onClose }: { target: ShareTarget; onClose(): void }) {
  const { user, records, consents, doctors, vault } = useSession();
  const queryClient = useQueryClient();
  const [query, setQuery] = useState('');
  const [doctor, setDoctor] = useState<DoctorSummary | null>(null);
  const [until, setUntil] = useState('');
  const [purpose, setPurpose] = useState('');
  const [done, setDone] = useState<Granted | null>(null);
  const searchField = useRef<HTMLInputElement>(null);
  useEffect(() => searchField.current?.focus(), []);

  const found = useQuery({
    queryKey: doctorKeys.search(query.trim()),
    enabled: query.trim().length >= 2,
    queryFn: () => doctors.search(query.trim()),
  });
  const { proveKey, clientState, keepShare } = useTrust();
  // The doctor's key, proven in the key directory; its fingerprint is computed in the vault from that key.
  const proven = useQuery({
    queryKey: doctorKeys.provenKey(doctor?.id ?? null, doctor?.publicKey ?? null),
    enabled: doctor !== null,
    retry: false,
    staleTime: Infinity,
    queryFn: () => {
      const chosen = doctor as DoctorSummary;
      return proveKey(chosen.id, chosen.displayName, [{ where: 'the doctor search', publicKey: chosen.publicKey }]);
    },
  });
  const contact = doctor ? clientState?.contacts[doctor.id] : undefined;
  const isContactVerified = proven.data !== undefined && contact?.fingerprint === proven.data.fingerprint;
  const inScope = useQuery({
    queryKey: recordKeys.shareScope(target.scope, target.recordId ?? target.folderId ?? null),
    queryFn: () => recordsForConsent(records, consentScopeOf(target)),
  });

  const keepGranted = (granted: GrantedShare) => keepShare(granted, () => allConsents(consents, 'active'));
  // A share the browser could not keep (the server unreachable a moment, a write refused) is kept when asked again.
  const keepAgain = useMutation({
    mutationFn: (granted: GrantedShare) => keepGranted(granted),
    onSuccess: () => setDone((current) => current && { ...current, keepError: null }),
  });

  const share = useMutation({
    mutationFn: async () => {
      if (!doctor || !inScope.data || !user || !proven.data || !isContactVerified) throw new Error('Choose a doctor and compare the numbers first');
      const doctorKey = { id: doctor.id, publicKey: proven.data.publicKey };
      const { fingerprint, wraps } = await vault.wrapForDoctor(user.id, inScope.data, doctorKey);
      const folderLabel = target.scope === 'folder' && target.folderId && target.folderName !== undefined ? await vault.sealFolderLabel(target.folderId, target.folderName, doctorKey) : undefined;
      const expiresAt = until ? new Date(`${until}T23:59:59`).toISOString() : undefined;
      const consent = await consents.grant({
        doctorId: doctor.id,
        scope: target.scope,
        recordId: target.recordId,
        folderId: target.folderId,
        expiresAt,
        purpose: purpose.trim() || undefined,
        wraps,
        fingerprint,
        folderLabel,
      });
      // Kept as asked for, not as answered: only the id is the server's.
      const granted = { id: consent.id, doctorId: doctor.id, scope: target.scope, folderId: target.folderId ?? null, expiresAt: expiresAt ?? null };
      const keepError = await keepGranted(granted).then(
        () => null,
        (error: unknown) => error,
      );
      return { shared: `Shared ${target.label} with ${consent.doctorName}.`, doctorName: doctor.displayName, granted, keepError };
    },
    onSuccess: async (outcome) => {
      setDone(outcome);
      await invalidateAfter(queryClient, 'consentGranted');
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    share.mutate();
  };

  return (
    <Dialog label="Share with a doctor" onClose={onClose} className="share-dialog">
      <h2>Share {target.label}</h2>
      {done ? (
        <>
          <Alert tone="success">{done.shared}</Alert>
          {done.keepError ? (
            <>
              <Alert tone="error">
                This browser could not keep the share in your sealed list ({describeError(keepAgain.error ?? done.keepError)}): new records there are not given to{' '}
                {done.doctorName} until it is kept.
              </Alert>
              <Button type="button" variant="secondary" isBusy={keepAgain.isPending} onClick={() => keepAgain.mutate(done.granted)}>
                Keep the share
              </Button>
            </>
          ) : null}
          {keepAgain.isSuccess ? <Alert tone="success">Kept: new records there are given to {done.doctorName} as well.</Alert> : null}
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
              <DoctorOption key={item.id} doctor={item} isChosen={doctor?.id === item.id} onChoose={() => setDoctor(item)} />
            ))}
          </ul>
          {doctor && proven.isPending ? <p className="muted">Verifying the key of {doctor.displayName} in the key directory…</p> : null}
          {doctor && proven.error ? (
            <div data-testid="key-warning">
              <Alert tone="error">
                The key the server gave for {doctor.displayName} failed verification, so nothing can be shared with it: {describeError(proven.error)}
              </Alert>
            </div>
          ) : null}
          {doctor && proven.data && clientState === null ? <p className="muted">Reading the doctors you verified…</p> : null}
          {doctor?.looksLikeAnother ? <Alert tone="error">{lookAlikeWarning(doctor)}</Alert> : null}
          {doctor && proven.data && clientState !== null ? <ContactCheck doctor={doctor} proven={proven.data} contact={contact} /> : null}
          <label htmlFor="share-until">Until (optional)</label>
          <input id="share-until" type="date" min={today()} value={until} onChange={(event) => setUntil(event.target.value)} />
          <label htmlFor="share-purpose">Purpose (optional)</label>
          <input id="share-purpose" maxLength={200} value={purpose} onChange={(event) => setPurpose(event.target.value)} />
          {inScope.error ? (
            <Alert tone="error">{describeError(inScope.error)}</Alert>
          ) : (
            <p data-testid="share-count">{inScope.data === undefined ? 'Counting records…' : shareCount(inScope.data, target.scope)}</p>
          )}
          {inScope.data && target.scope !== 'record' && inScope.data.length > 0 ? (
            <RecordsInShare records={inScope.data} target={target} listedAt={inScope.dataUpdatedAt} />
          ) : null}
          {share.error ? <Alert tone="error">{describeError(share.error)}</Alert> : null}
          <div className="row">
            <Button type="submit" isBusy={share.isPending} disabled={!doctor || !isContactVerified || inScope.data === undefined}>
              Share
            </Button>
            <Button type="button" variant="secondary" onClick={onClose}>
              Cancel
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/**
 * The records a share of a folder or of everything wraps for the doctor, by the titles this
 * browser opens. Which records are in a folder only the server says; here the patient sees each
 * one before sharing (docs/threat-model.md T104). Opened when asked for: a large folder's titles
 * cost a moment.
 */
function RecordsInShare({ records, target, listedAt }: { records: readonly RecordSummary[]; target: ShareTarget; listedAt: number }) {
  const { user, vault } = useSession();
  const [isOpen, setOpen] = useState(false);
  const titles = useQuery({
    queryKey: recordKeys.shareTitles(target.scope, target.folderId ?? null, listedAt),
    enabled: isOpen && user !== null,
    staleTime: Infinity,
    queryFn: () => vault.openRecordMetadata([...records], user?.id ?? ''),
  });
  const trashed = new Set(records.filter((record) => record.trashedAt !== null).map((record) => record.id));
  return (
    <details className="share-records" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Which records</summary>
      {titles.error ? <Alert tone="error">{describeError(titles.error)}</Alert> : null}
      {titles.data ? (
        <ul aria-label="Records this shares">
          {titles.data.map((opened) => (
            <li key={opened.id}>
              {'metadata' in opened ? opened.metadata.title : <span className="muted">a record that cannot be opened</span>}
              {trashed.has(opened.id) ? <span className="muted"> (in the trash)</span> : null}
            </li>
          ))}
        </ul>
      ) : titles.isFetching ? (
        <p className="muted">Opening the titles…</p>
      ) : null}
    </details>
  );
}

/**
 * One doctor in the search results: the name (and specialty) to choose, then
 * who vouches for them (docs/protocol.md "Clinicians"), and a warning when
 * another verified clinician's name looks the same.
 */
function DoctorOption({ doctor, isChosen, onChoose }: { doctor: DoctorSummary; isChosen: boolean; onChoose(): void }) {
  const detailsId = `doctor-${doctor.id}-details`;
  const warningId = `doctor-${doctor.id}-look-alike`;
  return (
    <li data-testid="doctor-option">
      <label className="radio">
        <input type="radio" name="doctor" checked={isChosen} onChange={onChoose} aria-describedby={doctor.looksLikeAnother ? `${detailsId} ${warningId}` : detailsId} />
        {doctor.displayName}
        {doctor.specialty ? <span className="muted"> · {doctor.specialty}</span> : null}
      </label>
      <p className="muted" id={detailsId} data-testid="doctor-verification">
        {doctor.organisation} · {verifiedText(doctor.verifiedBy, doctor.verifiedAt)}
      </p>
      {doctor.looksLikeAnother ? (
        <p className="alert alert-error" id={warningId} data-testid="look-alike-warning">
          {lookAlikeWarning(doctor)}
        </p>
      ) : null}
    </li>
  );
}

function lookAlikeWarning(doctor: Pick<DoctorSummary, 'displayName' | 'organisation'>): string {
  return `Another verified clinician has a name that looks the same as ${doctor.displayName}: check the organisation (${doctor.organisation}) and compare the fingerprint before you share.`;
}

/**
 * The fingerprint to read aloud, and what the patient's sealed contacts say
 * of it: verified before, changed since (blocking until compared again), or
 * never compared (the explicit step before the first share).
 */
export function ContactCheck({
  doctor,
  proven,
  contact,
  purpose = 'share',
}: {
  doctor: Pick<DoctorSummary, 'id' | 'displayName'>;
  proven: VerifiedBinding;
  contact: { fingerprint: string; verifiedAt: string } | undefined;
  /**
   * `emergency`: a holder of the patient's emergency key (features/emergency), who may be a patient too;
   * `contact`: a trusted contact (features/trusted-contacts), who may be a patient too.
   */
  purpose?: 'share' | 'emergency' | 'contact';
}) {
  const { rememberContact } = useTrust();
  const compared = useMutation({ mutationFn: () => rememberContact(doctor.id, proven.fingerprint) });
  const isVerified = contact?.fingerprint === proven.fingerprint;
  return (
    <div className="stack">
      <p>Key fingerprint of {doctor.displayName}:</p>
      <p className="fingerprint" data-testid="doctor-fingerprint">
        {formatFingerprint(proven.fingerprint)}
      </p>
      {isVerified ? (
        <p className="badge badge-ok" data-testid="contact-status">
          Verified on {new Date(contact.verifiedAt).toLocaleDateString()}
        </p>
      ) : (
        <>
          {contact ? (
            <div data-testid="key-changed">
              <Alert tone="error">
                The key of {doctor.displayName} changed since you verified it on {new Date(contact.verifiedAt).toLocaleDateString()}. Do not share until you
                have compared the new numbers with them: if they did not get a new key, someone is trying to read what you share.
              </Alert>
            </div>
          ) : null}
          <p className="muted">
            {
              {
                share: `Read these numbers aloud with ${doctor.displayName} (in person or on the phone). Only if they match the ones on the doctor’s account page can only that doctor open what you share.`,
                emergency: `Read these numbers aloud with ${doctor.displayName} (in person or on the phone). Only if they match the ones on their account page can only they open the share of your emergency key you give them.`,
                contact: `Read these numbers aloud with ${doctor.displayName} (in person or on the phone). Only if they match the ones on their account page can only they open your records.`,
              }[purpose]
            }
          </p>
          {compared.error ? <Alert tone="error">{describeError(compared.error)}</Alert> : null}
          <Button type="button" variant="secondary" isBusy={compared.isPending} onClick={() => compared.mutate()}>
            I compared the numbers
          </Button>
        </>
      )}
    </div>
  );
}

/** What a share covers: the records it shares now, those in the trash it covers once restored, and what comes later. */
function shareCount(records: readonly RecordSummary[], scope: ShareTarget['scope']): string {
  const trashed = records.filter((record) => record.trashedAt !== null).length;
  const active = records.length - trashed;
  const shared = `This shares ${active} record${active === 1 ? '' : 's'}`;
  const restored = trashed > 0 ? ` (and ${trashed} in the trash, if you restore ${trashed === 1 ? 'it' : 'them'})` : '';
  return `${shared}${restored}${scope === 'record' ? '' : ', and new ones you add here while the consent lasts'}.`;
}
