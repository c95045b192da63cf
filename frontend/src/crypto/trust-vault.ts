/**
 * The vault's judgement of the server (DESIGN 4.5; docs/protocol.md
 * "Client-side checks"): it opens and seals the client state, accepts a
 * key-directory tree head only when the log key signed it and it extends the
 * heads already seen, and proves other accounts' keys against a head it
 * accepted. The record methods wrap file keys only for keys proven here
 * (requireVerifiedKey), so no page code can wrap for a key that failed.
 */
import type { ConsistencyProof, KeyBindingProof, KeyLogFrontier, LoggedKeyBinding, Role, SignedTreeHead } from '@phr/shared-types';
import { openClientState, sealClientState, type ClientStateDocument, type KeptTreeHead } from './client-state.js';
import { fromBase64Url } from './encoding.js';
import { CryptoError } from './errors.js';
import { fingerprintHex } from './fingerprint.js';
import { importLogKey, verifyBindingProof, verifyConsistency, verifyLeafRange, verifyTreeHead, type LogKey } from './key-directory.js';

/** A key binding proven in a verified head. */
export interface VerifiedBinding {
  userId: string;
  role: Role;
  /** SPKI, base64url: the key to wrap for. */
  publicKey: string;
  /** SHA-256 of the SPKI, hex, computed here. */
  fingerprint: string;
  boundAt: string;
  leafIndex: number;
  treeSize: number;
}

export interface TrustVaultState {
  keys: { accountKey: CryptoKey; publicKey: CryptoKey } | null;
  /** The log's public key (SPKI, base64url) as this portal build carries it; empty when the build has none. */
  logPublicKey: string;
  logKey: LogKey | null;
  /** The newest tree head accepted in this session. */
  verifiedHead: SignedTreeHead | null;
  /** Keys proven in the key directory in this session, by account id: the only keys the vault wraps file keys for. */
  verifiedKeys: Map<string, VerifiedBinding>;
}

/** What the page learns of its own binding (self-monitoring at sign-in). */
export interface OwnBindingCheck {
  isOwnKey: boolean;
  /** The fingerprint the directory shows others for this account; null when it shows no key. */
  shownFingerprint: string | null;
  ownFingerprint: string;
  leafIndex: number;
}

async function ownFingerprintOf(state: TrustVaultState): Promise<string> {
  if (!state.keys) throw new CryptoError('LOCKED', 'The keys are locked; sign in again');
  return fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', state.keys.publicKey)));
}

function accountKey(state: TrustVaultState): CryptoKey {
  if (!state.keys) throw new CryptoError('LOCKED', 'The keys are locked; sign in again');
  return state.keys.accountKey;
}

async function logKeyOf(state: TrustVaultState): Promise<LogKey> {
  if (state.logKey) return state.logKey;
  try {
    state.logKey = await importLogKey(state.logPublicKey);
  } catch {
    throw new CryptoError('TREE_HEAD_INVALID', 'This portal was built without a valid key-directory log key');
  }
  return state.logKey;
}

const sameRoot = (a: KeptTreeHead, b: KeptTreeHead) => a.treeSize === b.treeSize && a.rootHash === b.rootHash;

/** Checks `head` extends `base` with the matching proof among `proofs`; throws TREE_HEAD_INCONSISTENT naming the sizes. */
async function requireExtends(base: KeptTreeHead, head: SignedTreeHead, proofs: readonly ConsistencyProof[], what: string): Promise<void> {
  if (head.treeSize < base.treeSize) {
    throw new CryptoError('TREE_HEAD_INCONSISTENT', `The key directory showed a log of ${head.treeSize} entries, older than the ${base.treeSize} ${what}`);
  }
  if (head.treeSize === base.treeSize) {
    if (!sameRoot(base, head)) throw new CryptoError('TREE_HEAD_INCONSISTENT', `The key directory showed a different log of ${head.treeSize} entries than the one ${what}`);
    return;
  }
  const proof = proofs.find((candidate) => candidate.from === base.treeSize && candidate.to === head.treeSize);
  if (!proof || !(await verifyConsistency(base, head, proof.proof))) {
    throw new CryptoError('TREE_HEAD_INCONSISTENT', `The key directory’s log of ${head.treeSize} entries does not extend the ${base.treeSize} ${what}: it was changed or forked`);
  }
}

/** Checks a binding answer against the head accepted in this session; the binding's key and its fingerprint, computed here. */
async function provenBinding(state: TrustVaultState, answer: KeyBindingProof, userId: string): Promise<{ fingerprint: string | null; binding: KeyBindingProof['binding'] }> {
  const head = state.verifiedHead;
  if (!head) throw new CryptoError('KEY_BINDING_INVALID', 'No key-directory tree head was verified yet');
  if (!(await verifyBindingProof(answer, userId, await logKeyOf(state)))) {
    throw new CryptoError('KEY_BINDING_INVALID', `The key directory’s proof for account ${userId} does not hold: the key it shows is not in the signed log`);
  }
  if (!sameRoot(answer.treeHead, head)) {
    throw new CryptoError('KEY_BINDING_INVALID', `The key directory proved account ${userId}’s key in a log of ${answer.treeHead.treeSize} entries, not the one this browser verified (${head.treeSize})`);
  }
  const { binding } = answer;
  if (binding.publicKey === null) return { fingerprint: null, binding };
  const fingerprint = await fingerprintHex(fromBase64Url(binding.publicKey));
  if (fingerprint !== binding.fingerprint) throw new CryptoError('KEY_BINDING_INVALID', `The key directory’s entry for account ${userId} states a fingerprint that is not its key’s`);
  return { fingerprint, binding };
}

export const trustVaultMethods = {
  async openClientState(state: TrustVaultState, userId: string, sealed: string | null): Promise<ClientStateDocument> {
    return openClientState(accountKey(state), userId, sealed);
  },

  async sealClientState(state: TrustVaultState, userId: string, document: ClientStateDocument): Promise<string> {
    return sealClientState(accountKey(state), userId, document);
  },

  /**
   * Accepts a tree head: signed by the log key, and extending both the head
   * kept in the client state and the newest one accepted in this session
   * (`proofs`: consistency proofs from each of their sizes to the head's).
   * Answers the head to keep.
   */
  async acceptTreeHead(state: TrustVaultState, head: SignedTreeHead, kept: KeptTreeHead | null, proofs: ConsistencyProof[] = []): Promise<KeptTreeHead> {
    if (!(await verifyTreeHead(head, await logKeyOf(state)))) {
      throw new CryptoError('TREE_HEAD_INVALID', `The key directory’s tree head of ${String(head.treeSize)} entries is not signed by the log key this portal trusts`);
    }
    if (kept) await requireExtends(kept, head, proofs, 'this account’s browsers verified before');
    if (state.verifiedHead) await requireExtends(state.verifiedHead, head, proofs, 'this browser verified in this session');
    state.verifiedHead = head;
    return { treeSize: head.treeSize, rootHash: head.rootHash };
  },

  /** The head accepted in this session, for the page to ask proofs against. */
  async verifiedTreeHead(state: TrustVaultState): Promise<SignedTreeHead | null> {
    return state.verifiedHead;
  },

  /**
   * Proves another account's key (a doctor to share with) in the accepted
   * head; from then on, and only then, the vault wraps for that key.
   */
  async verifyKeyBinding(state: TrustVaultState, answer: KeyBindingProof, userId: string): Promise<VerifiedBinding> {
    const { fingerprint, binding } = await provenBinding(state, answer, userId);
    if (fingerprint === null || binding.publicKey === null) {
      state.verifiedKeys.delete(userId);
      throw new CryptoError('KEY_BINDING_INVALID', `The key directory shows no key for account ${userId}: the account was erased`);
    }
    const verified: VerifiedBinding = { userId, role: binding.role, publicKey: binding.publicKey, fingerprint, boundAt: binding.boundAt, leafIndex: binding.leafIndex, treeSize: answer.treeHead.treeSize };
    state.verifiedKeys.set(userId, verified);
    return verified;
  },

  /** Self-monitoring (DESIGN 4.5): is the latest binding the directory shows for this account its own key? */
  async checkOwnBinding(state: TrustVaultState, answer: KeyBindingProof, userId: string): Promise<OwnBindingCheck> {
    const ownFingerprint = await ownFingerprintOf(state);
    const { fingerprint } = await provenBinding(state, answer, userId);
    return { isOwnKey: fingerprint === ownFingerprint, shownFingerprint: fingerprint, ownFingerprint, leafIndex: answer.binding.leafIndex };
  },

  /**
   * Self-monitoring between visits: the latest binding alone misses a false
   * key bound and then replaced by the real one again before this account
   * signs in. `leaves` must be every leaf from the kept head to the head
   * accepted in this session, shown complete and unchanged by the kept head's
   * `frontier` (verifyLeafRange); each of them that names this account must
   * hold its own key. Answers the first that does not, or null.
   */
  async checkOwnLeavesSince(state: TrustVaultState, kept: KeptTreeHead, frontier: KeyLogFrontier, leaves: LoggedKeyBinding[], userId: string): Promise<OwnBindingCheck | null> {
    const head = state.verifiedHead;
    if (!head) throw new CryptoError('KEY_LOG_INCOMPLETE', 'No key-directory tree head was verified yet');
    if (!(await verifyLeafRange(kept, head, frontier, leaves))) {
      throw new CryptoError(
        'KEY_LOG_INCOMPLETE',
        `The key directory’s entries ${kept.treeSize} to ${head.treeSize - 1} do not make up its log of ${head.treeSize} entries from the ${kept.treeSize} this account’s browsers kept: entries were left out or changed`,
      );
    }
    const ownFingerprint = await ownFingerprintOf(state);
    const id = userId.toLowerCase();
    for (const leaf of leaves) {
      if (leaf.userId !== id) continue;
      const shown = leaf.publicKey === null ? null : await fingerprintHex(fromBase64Url(leaf.publicKey));
      if (shown !== ownFingerprint) return { isOwnKey: false, shownFingerprint: shown, ownFingerprint, leafIndex: leaf.leafIndex };
    }
    return null;
  },
};

/** The gate before any wrap for another account: its key must be the one proven in the key directory this session. */
export async function requireVerifiedKey(state: TrustVaultState, account: { id: string; publicKey: string }): Promise<void> {
  const verified = state.verifiedKeys.get(account.id);
  const fingerprint = await Promise.resolve()
    .then(() => fingerprintHex(fromBase64Url(account.publicKey)))
    .catch(() => null);
  if (!verified || fingerprint !== verified.fingerprint) {
    throw new CryptoError('KEY_NOT_VERIFIED', `The key for account ${account.id} was not proven in the key directory; nothing was wrapped for it`);
  }
}
