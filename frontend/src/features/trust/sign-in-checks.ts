/**
 * What the browser checks after every sign-in (docs/protocol.md "Client-side
 * checks"), in its own session: the client state opens; the key directory's
 * head is signed and extends the kept one; the latest binding for the account
 * is its own key, and so is every entry for it logged since the kept head
 * (self-monitoring); the audit trail extends the kept head.
 * Each failure becomes a red alert and a security event; what held is kept.
 */
import { ApiError } from '../../api/api-error.js';
import type { AuditApi } from '../../api/audit.js';
import type { TrustApi } from '../../api/trust.js';
import { emptyClientState, type ClientStateDocument } from '../../crypto/client-state.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import type { OwnBindingCheck } from '../../crypto/trust-vault.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { checkTrailSinceCheckpoint } from './audit-checkpoint.js';
import { rememberedHeads, rollbackOf, withRememberedHeads } from './device-memory.js';
import { keepAuditHead, keepTreeHead, KeptStateConflict, type ClientStateStore } from './client-state-store.js';
import { acceptLatestTreeHead, foreignOwnEntrySince } from './key-directory-checks.js';
import { asTrustFailure, TrustFailure } from './trust-failure.js';

export interface SignInCheckContext {
  trust: TrustApi;
  audit: AuditApi;
  vault: VaultHandle;
  store: ClientStateStore;
  userId: string;
  raise(failure: TrustFailure): void;
}

/** A check that failed raises its alert; one that could not run (no connection) is left for the next visit. */
async function check(context: SignInCheckContext, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const failure = error instanceof KeptStateConflict ? new TrustFailure(error.kind, error.message) : asTrustFailure(error);
    if (failure instanceof TrustFailure) context.raise(failure);
  }
}

async function loadKept(context: SignInCheckContext): Promise<ClientStateDocument> {
  // Read before load() adds the stored heads to what this browser remembers.
  const remembered = rememberedHeads(context.userId);
  try {
    const stored = await context.store.load();
    const lost = rollbackOf(stored, remembered);
    if (lost) {
      // An older copy may keep a share revoked since: its shares are dropped.
      context.store.markRolledBack();
      context.raise(
        new TrustFailure(
          'client-state-invalid',
          `The server returned an older copy of what your browsers kept to check it: this browser had verified ${lost}. This browser checks the server against what it verified itself, and keeps none of the shares that copy held: new records go to a doctor again once you share with them again.`,
        ),
      );
    }
    return withRememberedHeads(stored, remembered);
  } catch (error) {
    const failure = asTrustFailure(error);
    if (!(failure instanceof TrustFailure)) throw error;
    // What this browser verified itself still holds: a server that damages the state must not take the checks back to nothing.
    const remembers = withRememberedHeads(emptyClientState(), remembered);
    context.store.markUnusable(remembers);
    context.raise(
      new TrustFailure(
        failure.kind,
        `What this account’s browsers kept to check the server (the sealed client state) does not open: it was replaced or damaged. ${failure.message}. This browser checks the server from what it verified itself, and writes nothing over that copy unless you choose to keep a new one.`,
      ),
    );
    return remembers;
  }
}

export async function runSignInChecks(context: SignInCheckContext): Promise<void> {
  const kept = await loadKept(context);
  const { trust, vault, store, userId } = context;
  await check(context, async () => {
    const { head, keep } = await acceptLatestTreeHead(trust, vault, kept.keyLog);
    // Each entry logged since the head this account kept: one of them with another key for it is a lie told meanwhile, even if undone since.
    const foreign = await foreignOwnEntrySince(trust, vault, userId, kept.keyLog, head);
    if (foreign) throw ownBindingMismatch(foreign, 'was shown to others for a while');
    const answer = await trust.binding(userId, { treeSize: head.treeSize }).catch((error: unknown) => {
      // Every account is bound at registration: a log without this one hides it from the account's own check.
      if (error instanceof ApiError && error.status === 404) {
        throw new TrustFailure('own-binding-mismatch', 'The key directory shows no key for your account, so the server could show others any key for you.');
      }
      throw error;
    });
    const own = await vault.checkOwnBinding(answer, userId);
    if (!own.isOwnKey) throw ownBindingMismatch(own, 'is what it shows now');
    // Kept only once every check passed: a failed one is made again, from the same kept head, at the next sign-in.
    await store.update(keepTreeHead(keep));
  });
  await check(context, async () => {
    const verdict = await checkTrailSinceCheckpoint(context.audit, userId, kept.audit);
    if (!verdict.isIntact) throw auditFailure(verdict.firstBadSeq, verdict.problem);
    await store.update(keepAuditHead(verdict.head));
  });
}

export function ownBindingMismatch(own: OwnBindingCheck, when: string): TrustFailure {
  const shown = own.shownFingerprint ? `the key with fingerprint ${formatFingerprint(own.shownFingerprint)}` : 'no key at all';
  return new TrustFailure(
    'own-binding-mismatch',
    `The server shows others a different key for you: the key directory’s entry ${own.leafIndex} for your account holds ${shown}, not your key (${formatFingerprint(own.ownFingerprint)}), and ${when}. Anyone who shared with you since may have shared with someone else.`,
  );
}

export function auditFailure(firstBadSeq: number, problem: string): TrustFailure {
  return new TrustFailure('audit-trail-broken', `Your audit trail was changed after this browser verified it: ${problem}. First bad entry: ${firstBadSeq}.`);
}
