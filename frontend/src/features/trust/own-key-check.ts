/**
 * Self-monitoring on demand (docs/protocol.md "What a client checks", step 3;
 * "Key-pair rotation"): after the account replaced its key pair, the browser
 * checks that the key directory's latest binding for the account is the new
 * key the vault now holds, in a head that extends every head seen before.
 */
import { formatFingerprint } from '../../crypto/fingerprint.js';
import type { TrustApi } from '../../api/trust.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { keepTreeHead, type ClientStateStore } from './client-state-store.js';
import { acceptLatestTreeHead } from './key-directory-checks.js';
import { TrustFailure } from './trust-failure.js';

/** Answers the leaf index of the account's own latest binding; throws a TrustFailure when it is not the vault's key. */
export async function proveOwnKey(trust: TrustApi, vault: VaultHandle, store: ClientStateStore, userId: string): Promise<number> {
  const { head, keep } = await acceptLatestTreeHead(trust, vault, store.current.keyLog);
  await store.update(keepTreeHead(keep));
  const own = await vault.checkOwnBinding(await trust.binding(userId, { treeSize: head.treeSize }), userId);
  if (!own.isOwnKey) {
    const shown = own.shownFingerprint ? `the key with fingerprint ${formatFingerprint(own.shownFingerprint)}` : 'no key at all';
    throw new TrustFailure(
      'own-binding-mismatch',
      `After your key change the key directory’s latest entry for your account (entry ${own.leafIndex}) holds ${shown}, not your new key (${formatFingerprint(own.ownFingerprint)}).`,
    );
  }
  return own.leafIndex;
}
