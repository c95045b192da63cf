/**
 * The patient's side of a doctor's key-pair rotation (docs/protocol.md
 * "Key-pair rotation"): every record in the consent's scope is wrapped again,
 * in the vault, for the doctor's new key (proven in the key directory and
 * compared by the patient), and sent in batches the API takes.
 */
import { MAX_REWRAPS_PER_REQUEST, type Consent } from '@phr/shared-types';
import type { ConsentsApi } from '../../api/consents.js';
import type { RecordsApi } from '../../api/records.js';
import type { VerifiedBinding } from '../../crypto/trust-vault.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { allRecordsIn } from '../records/useRecordQueries.js';

export interface RewrapOutcome {
  replaced: number;
  /** Wraps of the consent still made for a replaced key (the doctor rotated again meanwhile). */
  staleWraps: number;
}

export async function rewrapConsent(records: RecordsApi, consents: ConsentsApi, vault: VaultHandle, patientId: string, consent: Consent, doctorKey: VerifiedBinding): Promise<RewrapOutcome> {
  const listed = await allRecordsIn(records, consent.scope === 'folder' ? (consent.folderId ?? undefined) : undefined);
  const inScope = consent.scope === 'record' ? listed.filter((record) => record.id === consent.recordId) : listed;
  const outcome: RewrapOutcome = { replaced: 0, staleWraps: consent.staleWraps };
  for (let start = 0; start < inScope.length; start += MAX_REWRAPS_PER_REQUEST) {
    const batch = inScope.slice(start, start + MAX_REWRAPS_PER_REQUEST);
    // The vault wraps only for the key proven in the key directory this session (requireVerifiedKey).
    const { fingerprint, wraps } = await vault.wrapForDoctor(patientId, batch, { id: consent.doctorId, publicKey: doctorKey.publicKey });
    const answer = await consents.rewrap(consent.id, { fingerprint, wraps });
    outcome.replaced += answer.replaced;
    outcome.staleWraps = answer.staleWraps;
  }
  return outcome;
}
