/**
 * A trusted contact's new key pair, on the patient's side (docs/protocol.md "Trusted contacts",
 * "Keys"): the wraps made for the contact's previous key are stale, so the contact could open
 * nothing once released. The browser proves the contact's new key in the key directory, shows its
 * numbers to compare with the person (nothing is wrapped until they are compared), then wraps
 * every record in the contact's scope again for that key and sends them in one call
 * (`PUT /trusted-contacts/:id/wraps`, which takes the whole scope or nothing).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { TrustedContact } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { trustedContactKeys } from '../../api/trusted-contacts.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { allRecordsIn } from '../records/useRecordQueries.js';
import { ContactCheck } from '../sharing/ShareDialog.js';
import { useTrust } from '../trust/TrustProvider.js';

export function RenewContact({ contact }: { contact: TrustedContact }) {
  const { user, records, trustedContacts, vault } = useSession();
  const { proveKey, clientState } = useTrust();
  const queryClient = useQueryClient();
  const [isChecking, setIsChecking] = useState(false);
  const name = contact.contactName;
  const proven = useQuery({
    // No key from a listing to check against: the key directory's answer is the one proven.
    queryKey: trustedContactKeys.provenKey(contact.contactId, null),
    enabled: isChecking,
    retry: false,
    staleTime: Infinity,
    queryFn: () => proveKey(contact.contactId, name, []),
  });
  const remembered = clientState?.contacts[contact.contactId];
  const isCompared = proven.data !== undefined && remembered?.fingerprint === proven.data.fingerprint;
  const renew = useMutation({
    mutationFn: async () => {
      if (!user || !proven.data || !isCompared) throw new Error('Compare the new numbers first');
      const inScope = await allRecordsIn(records, contact.scope === 'folder' ? (contact.folderId ?? undefined) : undefined);
      // The vault wraps only for a key proven in the key directory this session (requireVerifiedKey).
      const { fingerprint, wraps } = await vault.wrapForDoctor(user.id, inScope, { id: contact.contactId, publicKey: proven.data.publicKey });
      return trustedContacts.rewrap(contact.id, { fingerprint, wraps });
    },
    onSuccess: () => invalidateAfter(queryClient, 'trustedContactChanged'),
  });

  return (
    <div className="stack" data-testid="contact-renewal">
      <Alert tone="info">
        {name} has a new key. Until you renew their access for it, they cannot open your records, even after the wait. First make sure the new key is
        really theirs.
      </Alert>
      {!isChecking ? (
        <div className="row">
          <Button type="button" variant="secondary" onClick={() => setIsChecking(true)}>
            Check the new key of {name}
          </Button>
        </div>
      ) : null}
      {isChecking && proven.isPending ? <p className="muted">Verifying the key of {name} in the key directory…</p> : null}
      {proven.error ? (
        <div data-testid="key-warning">
          <Alert tone="error">The key the server gave for {name} failed verification, so nothing is wrapped for it: {describeError(proven.error)}</Alert>
        </div>
      ) : null}
      {proven.data && clientState !== null ? <ContactCheck doctor={{ id: contact.contactId, displayName: name }} proven={proven.data} contact={remembered} purpose="contact" /> : null}
      {renew.error ? <Alert tone="error">{describeError(renew.error)}</Alert> : null}
      {isCompared ? (
        <div className="row">
          <Button type="button" isBusy={renew.isPending} onClick={() => renew.mutate()}>
            Renew the access of {name}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
