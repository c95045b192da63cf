/**
 * A trusted contact's new key pair, on the patient's side (docs/protocol.md "Trusted contacts",
 * "Keys"): the wraps made for the contact's previous key are stale, so the contact could open
 * nothing once released. The browser proves the contact's new key in the key directory, shows its
 * numbers to compare with the person (nothing is wrapped until they are compared), then wraps
 * every record in the contact's scope again for that key and sends them in one call
 * (`PUT /trusted-contacts/:id/wraps`, which takes the whole scope or nothing).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { TrustedContact } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { allRecordsIn } from '../records/useRecordQueries.js';
import { NewKeyCheck, useNewKeyCheck } from '../sharing/NewKeyCheck.js';

export function RenewContact({ contact }: { contact: TrustedContact }) {
  const { user, records, trustedContacts, vault } = useSession();
  const queryClient = useQueryClient();
  const name = contact.contactName;
  const check = useNewKeyCheck('contact', { id: contact.contactId, displayName: name });
  const proven = check.proven.data;
  const renew = useMutation({
    mutationFn: async () => {
      if (!user || !proven || !check.isCompared) throw new Error('Compare the new numbers first');
      const inScope = await allRecordsIn(records, contact.scope === 'folder' ? (contact.folderId ?? undefined) : undefined);
      // The vault wraps only for a key proven in the key directory this session (requireVerifiedKey).
      const { fingerprint, wraps } = await vault.wrapForDoctor(user.id, inScope, { id: contact.contactId, publicKey: proven.publicKey });
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
      <NewKeyCheck state={check} variant="secondary" />
      {renew.error ? <Alert tone="error">{describeError(renew.error)}</Alert> : null}
      {check.isCompared ? (
        <div className="row">
          <Button type="button" isBusy={renew.isPending} onClick={() => renew.mutate()}>
            Renew the access of {name}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
