/**
 * A patient's next visit after a doctor replaced their key pair (docs/protocol.md
 * "Key-pair rotation"): the server lists consents whose wraps were made for a
 * key the doctor no longer has; the browser proves the doctor's new key in the
 * key directory, shows that it differs from the key the patient compared
 * (blocking until they compare the new numbers), and only then wraps the
 * records in scope again for the new key.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Consent } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { allConsents, consentKeys } from '../../api/consents.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { keepsShare } from '../trust/client-state-store.js';
import { useTrust } from '../trust/TrustProvider.js';
import { NewKeyCheck, useNewKeyCheck } from './NewKeyCheck.js';
import { rewrapConsent } from './rewrap-consent.js';

export function KeyChanges() {
  const { consents: consentsApi } = useSession();
  const consents = useQuery({ queryKey: consentKeys.every('active'), queryFn: () => allConsents(consentsApi, 'active') });
  const changed = (consents.data ?? []).filter((consent) => consent.staleWraps > 0);
  if (changed.length === 0) return null;
  return (
    <section className="card wide stack" aria-label="Doctors with a new key" data-testid="key-changes">
      {changed.map((consent) => (
        <KeyChange key={consent.id} consent={consent} />
      ))}
    </section>
  );
}

function KeyChange({ consent }: { consent: Consent }) {
  const { user, records, consents, folders, vault } = useSession();
  const queryClient = useQueryClient();
  const name = consent.doctorName;
  const { clientState } = useTrust();
  const check = useNewKeyCheck('doctor', { id: consent.doctorId, displayName: name });
  const proven = check.proven.data;
  const reshare = useMutation({
    mutationFn: () => {
      if (!user || !proven || !check.isCompared) throw new Error('Compare the new numbers first');
      const contact = clientState?.contacts[consent.doctorId.toLowerCase()];
      // A share of a folder or of everything must be one this account's browsers kept: the server may list one the patient revoked.
      if (consent.scope !== 'record' && contact && !keepsShare(contact, consent.id)) {
        throw new Error(`This share with ${name} is not among the shares in force your browsers kept (revoked, ended, or not kept when it was granted); nothing was shared again. Share with ${name} again if you mean to.`);
      }
      return rewrapConsent({ records, consents, folders }, vault, user.id, consent, proven);
    },
    onSuccess: async () => {
      await invalidateAfter(queryClient, 'consentRewrapped');
    },
  });
  const count = `${consent.staleWraps} record${consent.staleWraps === 1 ? '' : 's'}`;

  return (
    <div className="stack" data-testid="key-change">
      <h2>{name} has a new key</h2>
      <p>
        {name} replaced their key pair. The {count} you share with them cannot be opened by them until you share again for the new key. First make sure the
        new key is really theirs.
      </p>
      <NewKeyCheck state={check} />
      {reshare.error ? <Alert tone="error">{describeError(reshare.error)}</Alert> : null}
      {check.isCompared ? (
        <Button type="button" isBusy={reshare.isPending} onClick={() => reshare.mutate()}>
          Share the {count} again with {name}
        </Button>
      ) : null}
    </div>
  );
}
