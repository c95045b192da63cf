/**
 * A renamed folder's shares (docs/protocol.md "Folder labels"): each active consent over the
 * folder gets the new name sealed for its doctor, in the same browser action as the rename. The
 * doctor's key is proven in the key directory and must be the one the patient compared (a
 * contact, with this consent among the shares kept with them), as for any wrap; a doctor for
 * whom that fails keeps the old label, and is named.
 */
import { allConsents, type ConsentsApi } from '../../api/consents.js';
import type { VaultHandle } from '../../crypto/vault.js';

export type ProveContactKey = (doctorId: string, name: string, served: [], what: { consentId: string }) => Promise<string>;

/** Re-seals the labels; answers the doctors (by name) who still see the old name, with why. */
export async function resealFolderLabels(consents: ConsentsApi, vault: VaultHandle, proveContactKey: ProveContactKey, folderId: string, name: string): Promise<string[]> {
  const shares = (await allConsents(consents, 'active')).filter((consent) => consent.scope === 'folder' && consent.folderId === folderId);
  const missed: string[] = [];
  for (const consent of shares) {
    try {
      const publicKey = await proveContactKey(consent.doctorId, consent.doctorName, [], { consentId: consent.id });
      const folderLabel = await vault.sealFolderLabel(folderId, name, { id: consent.doctorId, publicKey });
      await consents.rewrap(consent.id, { fingerprint: await vault.fingerprintOf(publicKey), wraps: [], folderLabel });
    } catch (error) {
      missed.push(`${consent.doctorName} (${error instanceof Error ? error.message : 'the name could not be sealed'})`);
    }
  }
  return missed;
}
