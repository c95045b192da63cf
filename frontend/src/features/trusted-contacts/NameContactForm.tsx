/**
 * Naming a trusted contact (docs/protocol.md "Trusted contacts"): the account an exact email names;
 * its key proven in the key directory and its numbers compared with the person, as before a share
 * (remembered, sealed, as a contact); then scope and wait, and the browser wraps every file key in
 * scope for that proven key before one call names the contact.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { TRUSTED_CONTACT_MAX_WAIT_DAYS, TRUSTED_CONTACT_MIN_WAIT_DAYS, type ContactCandidate } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { trustedContactKeys } from '../../api/trusted-contacts.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { allRecordsIn, useFolders } from '../records/useRecordQueries.js';
import { useTrust } from '../trust/TrustProvider.js';

export function NameContactForm({ namedIds }: { namedIds: ReadonlySet<string> }) {
  const { user, records, trustedContacts, vault } = useSession();
  const { proveKey, rememberContact, clientState } = useTrust();
  const folders = useFolders();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [candidate, setCandidate] = useState<ContactCandidate | null>(null);
  const [scope, setScope] = useState('all');
  const [wait, setWait] = useState('7');
  const [done, setDone] = useState<string | null>(null);

  const find = useMutation({
    mutationFn: (typed: string) => trustedContacts.findCandidate(typed),
    onMutate: () => {
      setCandidate(null);
      setDone(null);
    },
    onSuccess: setCandidate,
  });
  const proven = useQuery({
    queryKey: trustedContactKeys.provenKey(candidate?.id ?? null, candidate?.publicKey ?? null),
    enabled: candidate !== null,
    retry: false,
    staleTime: Infinity,
    queryFn: () => {
      const chosen = candidate as ContactCandidate;
      return proveKey(chosen.id, chosen.displayName, [{ where: 'the trusted-contact look-up', publicKey: chosen.publicKey }]);
    },
  });
  const remembered = candidate ? clientState?.contacts[candidate.id] : undefined;
  const isCompared = proven.data !== undefined && remembered?.fingerprint === proven.data.fingerprint;
  const compare = useMutation({ mutationFn: () => rememberContact((candidate as ContactCandidate).id, (proven.data as { fingerprint: string }).fingerprint) });

  const name = useMutation({
    mutationFn: async () => {
      if (!user || !candidate || !proven.data || !isCompared) throw new Error('Compare the numbers with this person first');
      const folderId = scope === 'all' ? undefined : scope;
      const inScope = await allRecordsIn(records, folderId);
      const { fingerprint, wraps } = await vault.wrapForDoctor(user.id, inScope, { id: candidate.id, publicKey: proven.data.publicKey });
      // The email that found this candidate (the field may have been edited since): the API names no account by its id alone.
      return trustedContacts.name({ contactId: candidate.id, email: find.variables ?? '', scope: folderId ? 'folder' : 'all', folderId, waitDays: Number(wait), fingerprint, wraps });
    },
    onSuccess: async (contact) => {
      setDone(`${contact.contactName} is now a trusted contact.`);
      setCandidate(null);
      setEmail('');
      await invalidateAfter(queryClient, 'trustedContactChanged');
    },
  });

  return (
    <div className="stack">
      <h2>Name a trusted contact</h2>
      {done ? <Alert tone="success">{done}</Alert> : null}
      <form
        className="stack"
        onSubmit={(event: SubmitEvent) => {
          event.preventDefault();
          find.mutate(email.trim());
        }}
      >
        <label htmlFor="contact-email">Their email (they need an account here)</label>
        <input id="contact-email" type="email" autoComplete="off" value={email} onChange={(event) => setEmail(event.target.value)} />
        <div className="row">
          <Button type="submit" variant="secondary" isBusy={find.isPending} disabled={email.trim().length < 3}>
            Find
          </Button>
        </div>
        {find.error ? <Alert tone="error">{describeError(find.error)}</Alert> : null}
      </form>
      {candidate && namedIds.has(candidate.id) ? <Alert tone="info">{candidate.displayName} is already one of your trusted contacts.</Alert> : null}
      {candidate && proven.isPending ? <p className="muted">Verifying the key of {candidate.displayName} in the key directory…</p> : null}
      {candidate && proven.error ? (
        <div data-testid="key-warning">
          <Alert tone="error">The key the server gave for {candidate.displayName} failed verification, so nothing can be wrapped for it: {describeError(proven.error)}</Alert>
        </div>
      ) : null}
      {candidate && proven.data && !namedIds.has(candidate.id) ? (
        <form
          className="stack"
          aria-label={`Name ${candidate.displayName}`}
          onSubmit={(event: SubmitEvent) => {
            event.preventDefault();
            name.mutate();
          }}
        >
          <p>Key fingerprint of {candidate.displayName}:</p>
          <p className="fingerprint" data-testid="contact-fingerprint">
            {formatFingerprint(proven.data.fingerprint)}
          </p>
          {isCompared ? (
            <p className="badge badge-ok" data-testid="contact-compared">
              Verified on {new Date((remembered as { verifiedAt: string }).verifiedAt).toLocaleDateString()}
            </p>
          ) : (
            <>
              {remembered ? (
                <Alert tone="error">The key of {candidate.displayName} changed since you verified it. Compare the new numbers with them before you go on.</Alert>
              ) : null}
              <p className="muted">
                Read these numbers aloud with {candidate.displayName} (in person or on the phone). Only if they match the ones on their account page can only
                they open your records.
              </p>
              {compare.error ? <Alert tone="error">{describeError(compare.error)}</Alert> : null}
              <div className="row">
                <Button type="button" variant="secondary" isBusy={compare.isPending} onClick={() => compare.mutate()}>
                  I compared the numbers
                </Button>
              </div>
            </>
          )}
          <label htmlFor="contact-scope">What they may read</label>
          <select id="contact-scope" value={scope} onChange={(event) => setScope(event.target.value)}>
            <option value="all">All my records</option>
            {(folders.data ?? []).map((folder) => (
              <option key={folder.id} value={folder.id}>
                The folder “{folder.name}”
              </option>
            ))}
          </select>
          <label htmlFor="contact-wait">Wait after they ask (days, {TRUSTED_CONTACT_MIN_WAIT_DAYS} to {TRUSTED_CONTACT_MAX_WAIT_DAYS})</label>
          <input
            id="contact-wait"
            type="number"
            inputMode="numeric"
            min={TRUSTED_CONTACT_MIN_WAIT_DAYS}
            max={TRUSTED_CONTACT_MAX_WAIT_DAYS}
            value={wait}
            onChange={(event) => setWait(event.target.value)}
          />
          {name.error ? <Alert tone="error">{describeError(name.error)}</Alert> : null}
          <div className="row">
            <Button type="submit" isBusy={name.isPending} disabled={!isCompared}>
              Name {candidate.displayName} as trusted contact
            </Button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
