/**
 * Self-monitoring on demand (docs/protocol.md "What a client checks", step 3;
 * "Key-pair rotation"): after the account replaced its key pair, the browser
 * checks the key directory as at sign-in, against the key the vault now
 * holds: every entry logged since the kept head that names the account must
 * carry that key (the rotation's own entry does), and so must the latest.
 */
import type { TrustApi } from '../../api/trust.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { keepTreeHead, type ClientStateStore } from './client-state-store.js';
import { acceptLatestTreeHead, foreignOwnEntrySince } from './key-directory-checks.js';
import { ownBindingMismatch } from './sign-in-checks.js';

/** Answers the leaf index of the account's own latest binding; throws a TrustFailure when the directory shows another key for it. */
export async function proveOwnKey(trust: TrustApi, vault: VaultHandle, store: ClientStateStore, userId: string): Promise<number> {
  const kept = store.current.keyLog;
  const { head, keep } = await acceptLatestTreeHead(trust, vault, kept);
  const foreign = await foreignOwnEntrySince(trust, vault, userId, kept, head);
  if (foreign) throw ownBindingMismatch(foreign, 'was logged before your key change');
  const own = await vault.checkOwnBinding(await trust.binding(userId, { treeSize: head.treeSize }), userId);
  if (!own.isOwnKey) throw ownBindingMismatch(own, 'is what it shows after your key change');
  // Kept only once the latest binding is the new key: a failed check is made again from the same kept head.
  await store.update(keepTreeHead(keep));
  return own.leafIndex;
}
