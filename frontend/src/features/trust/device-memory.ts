/**
 * What this browser remembers of the heads it verified, out of the server's
 * reach (docs/protocol.md "Client state"). The server stores the sealed client
 * state and could hand back an older copy: sealed by the account itself, it
 * opens, and would take the browser back to before a key-directory head or an
 * audit entry it verified, so that a log rewritten or a trail cut since then
 * looked consistent. Each browser keeps in localStorage, per account, the
 * newest key-directory head and audit checkpoint it has seen (sizes and hashes,
 * nothing secret); a stored state older than them is a rollback, and the
 * checks go on from the newer heads.
 */
import { isClientStateDocument, type AuditCheckpoint, type ClientStateDocument, type KeptTreeHead } from '../../crypto/client-state.js';

export interface RememberedHeads {
  keyLog: KeptTreeHead | null;
  audit: AuditCheckpoint | null;
}

const NOTHING: RememberedHeads = { keyLog: null, audit: null };
const storageKey = (userId: string) => `phr.kept-heads.${userId.toLowerCase()}`;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function rememberedHeads(userId: string): RememberedHeads {
  try {
    const value: unknown = JSON.parse(storage()?.getItem(storageKey(userId)) ?? 'null');
    const candidate = { v: 1, contacts: {}, ...(value as object) };
    return isClientStateDocument(candidate) ? { keyLog: candidate.keyLog, audit: candidate.audit } : NOTHING;
  } catch {
    return NOTHING;
  }
}

const newerTreeHead = (a: KeptTreeHead | null, b: KeptTreeHead | null) => (!a || (b && b.treeSize > a.treeSize) ? b : a);
const newerCheckpoint = (a: AuditCheckpoint | null, b: AuditCheckpoint | null) => (!a || (b && b.sequence > a.sequence) ? b : a);

/** Remembers the document's heads where they are newer than the ones remembered. */
export function rememberHeads(userId: string, document: ClientStateDocument): void {
  const remembered = rememberedHeads(userId);
  const next: RememberedHeads = { keyLog: newerTreeHead(remembered.keyLog, document.keyLog), audit: newerCheckpoint(remembered.audit, document.audit) };
  try {
    storage()?.setItem(storageKey(userId), JSON.stringify(next));
  } catch {
    // A browser without storage (or with it full) checks against the server's copy only.
  }
}

/** What the stored state lost against this browser's memory, in words; null when it lost nothing. */
export function rollbackOf(stored: ClientStateDocument, remembered: RememberedHeads): string | null {
  const lost: string[] = [];
  if (remembered.keyLog && (stored.keyLog?.treeSize ?? 0) < remembered.keyLog.treeSize) {
    lost.push(`the key directory’s head of ${remembered.keyLog.treeSize} entries (it holds ${stored.keyLog?.treeSize ?? 'none'})`);
  }
  if (remembered.audit && (stored.audit?.sequence ?? -1) < remembered.audit.sequence) {
    lost.push(`your audit trail’s entry ${remembered.audit.sequence} (it holds ${stored.audit ? `entry ${stored.audit.sequence}` : 'none'})`);
  }
  return lost.length === 0 ? null : lost.join(' and ');
}

/** The stored state with the newer of its heads and the remembered ones. */
export function withRememberedHeads(stored: ClientStateDocument, remembered: RememberedHeads): ClientStateDocument {
  return { ...stored, keyLog: newerTreeHead(stored.keyLog, remembered.keyLog), audit: newerCheckpoint(stored.audit, remembered.audit) };
}
