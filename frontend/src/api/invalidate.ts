/**
 * What each change makes stale, in one table: a mutation calls `invalidateAfter` with
 * the change it made, never a list of keys of its own. Nearly every change writes to
 * the audit trail, so the trail is read again after each.
 */
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { auditKeys } from './audit.js';
import { accountKeys } from './auth.js';
import { clinicianKeys } from './clinicians.js';
import { consentKeys } from './consents.js';
import { folderKeys } from './folders.js';
import { keyRotationKeys } from './key-rotation.js';
import { recordKeys } from './records.js';
import { securityKeyKeys } from './security-keys.js';
import { totpKeys } from './totp.js';
import { sessionKeys } from './sessions.js';
import { trustedContactKeys } from './trusted-contacts.js';

export const STALE_AFTER = {
  /** A new record lands in its folder's list and in the scope of any share that covers it. */
  recordUploaded: [recordKeys.all, consentKeys.all, trustedContactKeys.all, auditKeys.all],
  /** A deleted record leaves its lists and the shares that covered it. */
  /** To the trash or back: the record leaves one list for the other, and the shares that covered it. */
  recordTrashed: [recordKeys.all, consentKeys.all, auditKeys.all],
  /** Renamed, re-dated, re-categorised, or moved to another folder (a move can end a doctor's access). */
  recordChanged: [recordKeys.all, consentKeys.all, auditKeys.all],
  recordDeleted: [recordKeys.all, consentKeys.all, auditKeys.all],
  folderCreated: [folderKeys.all, auditKeys.all],
  /** Lists and share dialogs show folder names. */
  folderRenamed: [folderKeys.all, recordKeys.all, consentKeys.all, auditKeys.all],
  /** A folder's consents end with it; record lists filtered by it are gone. */
  folderDeleted: [folderKeys.all, recordKeys.all, consentKeys.all, auditKeys.all],
  consentGranted: [consentKeys.all, auditKeys.all],
  /** The share's status, the doctor's access and the trail change together. */
  consentRevoked: [consentKeys.all, recordKeys.all, auditKeys.all],
  consentRewrapped: [consentKeys.all, auditKeys.all],
  /** A trusted contact named, changed, removed, re-wrapped; a request or a refusal (docs/protocol.md "Trusted contacts"). */
  trustedContactChanged: [trustedContactKeys.all, auditKeys.all],
  sessionEnded: [sessionKeys.all, auditKeys.all],
  securityKeysChanged: [securityKeyKeys.all, auditKeys.all],
  totpChanged: [totpKeys.all, auditKeys.all],
  /** Shares' wraps go stale for a new key pair (consents' staleWraps), and its fingerprint changes. */
  keyPairRotated: [accountKeys.ownFingerprint(), consentKeys.all, auditKeys.all],
  /** Each step of an account-key rotation reseals wraps and folder names. */
  accountKeyRotated: [keyRotationKeys.all, folderKeys.all, recordKeys.all, auditKeys.all],
  clinicianDecided: [clinicianKeys.all, auditKeys.all],
  clinicianInvited: [clinicianKeys.all, auditKeys.all],
  accountDetailsChanged: [accountKeys.all, auditKeys.all],
} as const satisfies Record<string, readonly QueryKey[]>;

export type Change = keyof typeof STALE_AFTER;

/** Marks stale (and refetches, where shown) every query the change touched. */
export async function invalidateAfter(queryClient: QueryClient, change: Change): Promise<void> {
  await Promise.all(STALE_AFTER[change].map((queryKey) => refetchAfterChange(queryClient, queryKey)));
}

/**
 * Marks stale, and refetches where shown, the queries under `queryKey`, so that what a page
 * shows next was read after the change. A fetch still in flight may have been answered before
 * the change; TanStack Query cancels such a fetch only when the query already holds data, and
 * otherwise hands back its answer (a page opened just before the change kept showing the list
 * without it: "None" under a token just issued). Cancelling first makes every refetch a new one.
 */
export async function refetchAfterChange(queryClient: QueryClient, queryKey: QueryKey): Promise<void> {
  await queryClient.cancelQueries({ queryKey });
  // eslint-disable-next-line no-restricted-properties -- the one call, after the cancel above
  await queryClient.invalidateQueries({ queryKey });
}
