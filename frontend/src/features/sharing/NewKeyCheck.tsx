/**
 * Checking someone's new key pair before wrapping anything for it (docs/protocol.md "Key-pair
 * rotation"; a doctor of a share, or a trusted contact): on request the browser proves the key in
 * the key directory, then shows its numbers against the fingerprint the patient compared before
 * (sealed in the client state), blocking until they are compared again.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../../api/api-error.js';
import { doctorKeys } from '../../api/doctors.js';
import { trustedContactKeys } from '../../api/trusted-contacts.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useTrust } from '../trust/TrustProvider.js';
import { ContactCheck } from './ShareDialog.js';

/** Whose new key: a doctor the patient shares with, or a trusted contact of the patient's. */
export type KeyHolder = 'doctor' | 'contact';

/** Where a proven new key is cached. */
function provenKeyOf(holder: KeyHolder, id: string) {
  // A contact's new key comes with no listing to check it against: the key directory's answer is the one proven.
  return holder === 'doctor' ? doctorKeys.provenKey(id, 'rotation') : trustedContactKeys.provenKey(id, null);
}

/** The state of the check of `party`'s new key. */
export function useNewKeyCheck(holder: KeyHolder, party: { id: string; displayName: string }) {
  const { proveKey, clientState } = useTrust();
  const [isChecking, setIsChecking] = useState(false);
  const proven = useQuery({ queryKey: provenKeyOf(holder, party.id), enabled: isChecking, retry: false, staleTime: Infinity, queryFn: () => proveKey(party.id, party.displayName, []) });
  const remembered = clientState?.contacts[party.id];
  /** The proven key is the one the patient compared: the only key anything may be wrapped for. */
  const isCompared = proven.data !== undefined && remembered?.fingerprint === proven.data.fingerprint;
  return { holder, party, isChecking, check: () => setIsChecking(true), proven, remembered, isCompared };
}

/** The check's button, its progress, a key that failed its proof, and the numbers to compare. */
export function NewKeyCheck({ state, variant = 'primary' }: { state: ReturnType<typeof useNewKeyCheck>; variant?: 'primary' | 'secondary' }) {
  const { clientState } = useTrust();
  const { holder, party, isChecking, check, proven, remembered } = state;
  const purpose = holder === 'doctor' ? 'share' : 'contact';
  const name = party.displayName;
  return (
    <>
      {!isChecking ? (
        <div className="row">
          <Button type="button" variant={variant} onClick={check}>
            Check the new key of {name}
          </Button>
        </div>
      ) : null}
      {isChecking && proven.isPending ? <p className="muted">Verifying the key of {name} in the key directory…</p> : null}
      {proven.error ? (
        <div data-testid="key-warning">
          <Alert tone="error">
            The key the server gave for {name} failed verification, so nothing is {purpose === 'share' ? 'shared with' : 'wrapped for'} it: {describeError(proven.error)}
          </Alert>
        </div>
      ) : null}
      {proven.data && clientState !== null ? <ContactCheck doctor={party} proven={proven.data} contact={remembered} purpose={purpose} /> : null}
    </>
  );
}
