/**
 * The key directory as the portal uses it (DESIGN 4.5): each tree head the
 * API serves is accepted by the vault only if it is signed by the log key
 * built into the portal and extends the heads seen before; a key is used for
 * another account only once proven in such a head.
 */
import { KEY_LOG_MAX_LEAVES_PER_PAGE, type ConsistencyProof, type KeyLogLeaves, type SignedTreeHead } from '@phr/shared-types';
import { ApiError } from '../../api/api-error.js';
import type { TrustApi } from '../../api/trust.js';
import type { KeptTreeHead } from '../../crypto/client-state.js';
import type { OwnBindingCheck, VerifiedBinding } from '../../crypto/trust-vault.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { asTrustFailure, TrustFailure } from './trust-failure.js';

export interface AcceptedHead {
  head: SignedTreeHead;
  /** What to keep in the client state. */
  keep: KeptTreeHead;
}

/**
 * Fetches the latest head with consistency proofs from the kept head's size
 * and the session's, and has the vault accept it. A proof the API does not
 * give is left out: the vault then refuses the head as not shown to extend.
 */
export async function acceptLatestTreeHead(api: TrustApi, vault: VaultHandle, kept: KeptTreeHead | null): Promise<AcceptedHead> {
  const head = await api.treeHead();
  const sessionHead = await vault.verifiedTreeHead();
  const sizes = new Set([kept?.treeSize ?? 0, sessionHead?.treeSize ?? 0].filter((size) => size > 0 && size < head.treeSize));
  const proofs = await Promise.all(
    [...sizes].map((from) =>
      api.consistency({ from, to: head.treeSize }).catch((error: unknown): ConsistencyProof | null => {
        if (error instanceof ApiError) return null;
        throw error;
      }),
    ),
  );
  try {
    const keep = await vault.acceptTreeHead(head, kept, proofs.filter((proof): proof is ConsistencyProof => proof !== null));
    return { head, keep };
  } catch (error) {
    throw asTrustFailure(error);
  }
}

/**
 * Every leaf from the kept head's size to `head`'s, a page at a time. The
 * vault checks them complete (with the kept head's frontier); this only reads.
 */
export async function leavesBetween(api: TrustApi, from: number, to: number): Promise<KeyLogLeaves['items']> {
  const items: KeyLogLeaves['items'] = [];
  while (from + items.length < to) {
    const start = from + items.length;
    const page = await api.leaves({ start, end: Math.min(to, start + KEY_LOG_MAX_LEAVES_PER_PAGE) });
    // A page that ends early (or repeats itself) is left to the vault's check; reading stops here.
    if (page.items.length === 0) break;
    items.push(...page.items);
  }
  return items;
}

/**
 * Self-monitoring between the kept head and a newer one: the vault checks every entry logged
 * since the kept head complete, and answers the first that binds `userId` (the signed-in
 * account) to a key other than its own, or null. Nothing to check when the head is not newer.
 * A head is kept only after this: an entry before the kept head is never checked again.
 */
export async function foreignOwnEntrySince(api: TrustApi, vault: VaultHandle, userId: string, kept: KeptTreeHead | null, head: { treeSize: number }): Promise<OwnBindingCheck | null> {
  if (!kept || kept.treeSize >= head.treeSize) return null;
  const [frontier, leaves] = await Promise.all([api.frontier({ treeSize: kept.treeSize }), leavesBetween(api, kept.treeSize, head.treeSize)]);
  return vault.checkOwnLeavesSince(kept, frontier, leaves, userId);
}

/** Fetches an account's binding in the tree of `head` and has the vault prove it. */
export async function proveBinding(api: TrustApi, vault: VaultHandle, userId: string, head: SignedTreeHead, name: string): Promise<VerifiedBinding> {
  const answer = await api.binding(userId, { treeSize: head.treeSize }).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) throw new TrustFailure('key-binding-invalid', `The key directory has no key for ${name}`);
    throw error;
  });
  try {
    return await vault.verifyKeyBinding(answer, userId);
  } catch (error) {
    throw asTrustFailure(error);
  }
}

/**
 * Every other place the API served this account's key (doctor search,
 * /users/:id/public-key) must serve the key proven in the directory; two
 * different keys for one account mean the server lies to someone.
 */
export function requireSameKey(verified: VerifiedBinding, served: ReadonlyArray<{ where: string; publicKey: string }>, name: string): void {
  const other = served.find((answer) => answer.publicKey !== verified.publicKey);
  if (other) {
    throw new TrustFailure('key-binding-invalid', `The server gave this browser a key for ${name} (in ${other.where}) that is not the key the key directory holds for them`);
  }
}
