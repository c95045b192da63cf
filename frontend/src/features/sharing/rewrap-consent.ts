/**
 * The patient's side of a doctor's key-pair rotation (docs/protocol.md
 * "Key-pair rotation"): every record in the consent's scope (the trash included) is wrapped again,
 * in the vault, for the doctor's new key (proven in the key directory and
 * compared by the patient), and sent in batches the API takes. A folder's
 * consent also gets its folder label sealed again for the new key, with the
 * first batch (or alone, for an empty folder): docs/protocol.md "Folder labels".
 */
import { MAX_REWRAPS_PER_REQUEST, type Consent } from '@phr/shared-types';
import type { ConsentsApi } from '../../api/consents.js';
import type { FoldersApi } from '../../api/folders.js';
import type { RecordsApi } from '../../api/records.js';
import type { VerifiedBinding } from '../../crypto/trust-vault.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { consentScopeOf, recordsForConsent } from './records-for-consent.js';

export interface RewrapOutcome {
  replaced: number;
  /** Wraps of the consent still made for a replaced key (the doctor rotated again meanwhile). */
  staleWraps: number;
}

export interface RewrapApis {
  records: RecordsApi;
  consents: ConsentsApi;
  folders: FoldersApi;
}

export async function rewrapConsent(apis: RewrapApis, vault: VaultHandle, patientId: string, consent: Consent, doctorKey: VerifiedBinding): Promise<RewrapOutcome> {
  const inScope = await recordsForConsent(apis.records, consentScopeOf(consent));
  const doctor = { id: consent.doctorId, publicKey: doctorKey.publicKey };
  // The vault seals and wraps only for the key proven in the key directory this session (requireVerifiedKey).
  let folderLabel = await folderLabelFor(apis.folders, vault, patientId, consent, doctor);
  const outcome: RewrapOutcome = { replaced: 0, staleWraps: consent.staleWraps };
  for (let start = 0; start < inScope.length || folderLabel !== undefined; start += MAX_REWRAPS_PER_REQUEST) {
    const batch = inScope.slice(start, start + MAX_REWRAPS_PER_REQUEST);
    const { fingerprint, wraps } = await vault.wrapForDoctor(patientId, batch, doctor);
    const answer = await apis.consents.rewrap(consent.id, { fingerprint, wraps, folderLabel });
    folderLabel = undefined;
    outcome.replaced += answer.replaced;
    outcome.staleWraps = answer.staleWraps;
  }
  return outcome;
}

/** A folder consent's label sealed again for the doctor's new key, from the folder's name opened here; none for other scopes or a folder gone. */
async function folderLabelFor(folders: FoldersApi, vault: VaultHandle, patientId: string, consent: Consent, doctor: { id: string; publicKey: string }) {
  if (consent.scope !== 'folder' || !consent.folderId) return undefined;
  const folder = (await folders.list()).items.find((candidate) => candidate.id === consent.folderId);
  if (!folder) return undefined;
  const [opened] = await vault.openFolderNames(patientId, [folder]);
  return vault.sealFolderLabel(folder.id, opened.name, doctor);
}
