/**
 * The client state as the portal reads and writes it (docs/protocol.md
 * "Client state"): opened and sealed in the vault, written with
 * compare-and-set on the server's version. A 409 means another device wrote
 * first: the store reads again and re-applies the change to what is there, so
 * every change is a function of the current document, and keeps what the
 * other device added.
 */
import type { Consent } from '@phr/shared-types';
import { ApiError } from '../../api/api-error.js';
import type { TrustApi } from '../../api/trust.js';
import { emptyClientState, type AuditCheckpoint, type ClientStateDocument, type KeptShare, type KeptTreeHead, type VerifiedContact } from '../../crypto/client-state.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { rememberHeads } from './device-memory.js';

/** Writes tried before giving up while other devices keep writing. */
const WRITE_ATTEMPTS = 5;

export type ClientStateChange = (current: ClientStateDocument) => ClientStateDocument;

/** What the browser kept does not agree with itself across devices: two heads of one size with different roots or hashes. */
export class KeptStateConflict extends Error {
  constructor(
    readonly kind: 'tree-head-inconsistent' | 'audit-trail-broken',
    message: string,
  ) {
    super(message);
    this.name = 'KeptStateConflict';
  }
}

export class ClientStateStore {
  private version = 0;
  /** The version of the last state read, whether or not it opened: a new copy replaces exactly that one (replaceUnusable). */
  private versionRead = 0;
  private document: ClientStateDocument = emptyClientState();
  /** Writes queue behind each other: one compare-and-set at a time from this page. */
  private writing: Promise<unknown> = Promise.resolve();
  /** The stored state did not open: nothing is written over it in this session (it stays as evidence). */
  private isUnusable = false;
  /** Read once (or found unusable): until then `current` is an empty state, not what was kept, and no check may start from it. */
  private hasRead = false;

  constructor(
    private readonly api: TrustApi,
    private readonly vault: VaultHandle,
    private readonly userId: string,
    private readonly onChange: (document: ClientStateDocument) => void,
  ) {}

  get current(): ClientStateDocument {
    return this.document;
  }

  /** Reads and opens the stored state; a blob that does not open throws the vault's CLIENT_STATE_INVALID. */
  async load(): Promise<ClientStateDocument> {
    const stored = await this.api.clientState();
    this.versionRead = stored.version;
    const document = await this.vault.openClientState(this.userId, stored.sealed);
    this.version = stored.version;
    this.document = document;
    this.hasRead = true;
    this.publish(document);
    return document;
  }

  /**
   * The stored state did not open: the session goes on from `document` (the heads this browser
   * remembers), so every later check starts from them, as the sign-in checks did, not from nothing.
   */
  markUnusable(document: ClientStateDocument): void {
    this.isUnusable = true;
    this.hasRead = true;
    this.document = document;
    this.publish(document);
  }

  /** The stored state did not open, and nothing this session verifies is kept on the server. */
  get isUnusableState(): boolean {
    return this.isUnusable;
  }

  /**
   * The account holder's way out of a stored state that does not open (which would otherwise
   * raise its alert at every sign-in): a new copy sealed from what this session holds, the heads
   * this browser remembers and what it verified since, with no contacts (their numbers are
   * compared again at the next share). Compare-and-set on the version read, so it replaces that
   * copy only; a 409 (another browser wrote meanwhile) leaves it to the next sign-in to read.
   */
  async replaceUnusable(): Promise<void> {
    if (!this.isUnusable) return;
    const sealed = await this.vault.sealClientState(this.userId, this.document);
    const { version } = await this.api.putClientState({ expectedVersion: this.versionRead, sealed }).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 409) throw new Error('Another of your browsers kept a new copy meanwhile: sign out and in again to read it.');
      throw error;
    });
    this.version = version;
    this.isUnusable = false;
    this.publish(this.document);
  }

  /**
   * The stored state read this session is an older copy (device-memory.ts rollbackOf): the shares
   * it keeps may include one revoked since, so none is kept from it (every contact's list is
   * emptied, and written so at the next change): a doctor gets new records again once the
   * patient shares with them again.
   */
  markRolledBack(): void {
    this.document = withoutShares(this.document);
    this.publish(this.document);
  }

  /** Whether `current` is what was kept (read, or found unusable), not the empty state before the first read. */
  get isRead(): boolean {
    return this.hasRead;
  }

  /** Applies a change and writes it; without a usable stored state, the change lives in this page only. */
  update(change: ClientStateChange): Promise<ClientStateDocument> {
    if (this.isUnusable) {
      this.document = change(this.document);
      this.publish(this.document);
      return Promise.resolve(this.document);
    }
    const next = this.writing.then(() => this.write(change));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** This browser remembers the newest heads it has seen (device-memory.ts), then the page hears of them. */
  private publish(document: ClientStateDocument): void {
    rememberHeads(this.userId, document);
    this.onChange(document);
  }

  private async write(change: ClientStateChange): Promise<ClientStateDocument> {
    for (let attempt = 1; ; attempt++) {
      const changed = change(this.document);
      if (JSON.stringify(changed) === JSON.stringify(this.document)) return this.document;
      const sealed = await this.vault.sealClientState(this.userId, changed);
      try {
        const { version } = await this.api.putClientState({ expectedVersion: this.version, sealed });
        this.version = version;
        this.document = changed;
        this.publish(changed);
        return changed;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409) || attempt >= WRITE_ATTEMPTS) throw error;
        await this.load();
      }
    }
  }
}

/** Keeps a tree head unless a larger one is kept already; the same size with another root is a fork. */
export function keepTreeHead(head: KeptTreeHead): ClientStateChange {
  return (current) => {
    const kept = current.keyLog;
    if (kept && kept.treeSize === head.treeSize && kept.rootHash !== head.rootHash) {
      throw new KeptStateConflict('tree-head-inconsistent', `Another of your browsers verified a different key-directory log of ${head.treeSize} entries than this one`);
    }
    return kept && kept.treeSize >= head.treeSize ? current : { ...current, keyLog: head };
  };
}

/** Keeps an audit-chain head unless a later one is kept already; the same entry with another hash is a fork. */
export function keepAuditHead(head: AuditCheckpoint): ClientStateChange {
  return (current) => {
    const kept = current.audit;
    if (kept && kept.sequence === head.sequence && kept.hash !== head.hash) {
      throw new KeptStateConflict('audit-trail-broken', `Another of your browsers verified a different entry ${head.sequence} of your audit trail than this one`);
    }
    return kept && kept.sequence >= head.sequence ? current : { ...current, audit: head };
  };
}

/** Records that the patient compared a doctor's numbers and they matched; the shares kept with them stay. */
export function rememberContact(doctorId: string, fingerprint: string, verifiedAt = new Date().toISOString()): ClientStateChange {
  return (current) => {
    const key = doctorId.toLowerCase();
    const kept = current.contacts[key];
    // A new contact has no share yet; one kept before shares were keeps its lack of a list (keepShare starts it).
    const shares = kept ? kept.shares : [];
    return withContact(current, key, shares ? { fingerprint, verifiedAt, shares } : { fingerprint, verifiedAt });
  };
}

/**
 * Keeps a share that takes new records in (a folder, or everything) with its contact, and drops
 * the contact's shares that have ended. A contact kept before shares were kept starts its list
 * from `earlier` (the shares with that doctor the server lists as in force, believed once, as
 * every covering share was before), so the doctor keeps what those shares give.
 */
export function keepShare(doctorId: string, share: KeptShare, earlier: KeptShare[], now = new Date()): ClientStateChange {
  return (current) => {
    const key = doctorId.toLowerCase();
    const contact = current.contacts[key];
    if (!contact) throw new Error('The doctor is not among your contacts: compare the numbers before you share');
    const kept = (contact.shares ?? earlier).filter((other) => other.consent !== share.consent && !hasEnded(other, now));
    return withContact(current, key, { ...contact, shares: [...kept, share] });
  };
}

/**
 * Drops a revoked share from its contact (and the contact's shares that have ended). A contact
 * kept before shares were starts its list from `earlier` (the shares with that doctor the server
 * lists in force, believed once) without the revoked one, so the revocation holds for it too.
 */
export function forgetShare(doctorId: string, consentId: string, earlier: KeptShare[], now = new Date()): ClientStateChange {
  return (current) => {
    const key = doctorId.toLowerCase();
    const contact = current.contacts[key];
    if (!contact) return current;
    const consent = consentId.toLowerCase();
    return withContact(current, key, { ...contact, shares: (contact.shares ?? earlier).filter((share) => share.consent !== consent && !hasEnded(share, now)) });
  };
}

/**
 * Whether the patient's kept shares with this contact take a new record in `folderId` (null: no
 * folder, which only a share of everything takes in). A contact kept before shares were answers
 * yes: what the server says is all there is for it.
 */
export function sharesTakeIn(contact: VerifiedContact, folderId: string | null, now = new Date()): boolean {
  if (!contact.shares) return true;
  const folder = folderId?.toLowerCase() ?? null;
  return contact.shares.some((share) => !hasEnded(share, now) && (share.folderId === null || share.folderId === folder));
}

/** Whether this share is among the contact's kept ones, in force (a contact kept before shares were: yes). */
export function keepsShare(contact: VerifiedContact, consentId: string, now = new Date()): boolean {
  if (!contact.shares) return true;
  const consent = consentId.toLowerCase();
  return contact.shares.some((share) => share.consent === consent && !hasEnded(share, now));
}

/** What a kept share is made of: a consent's id, doctor, scope, folder and end. */
export type GrantedShare = Pick<Consent, 'id' | 'doctorId' | 'scope' | 'folderId' | 'expiresAt'>;

/** A consent as a kept share, if it takes new records in (a folder or everything); a share of one record does not. */
export function keptShareOf(consent: Omit<GrantedShare, 'doctorId'>): KeptShare | null {
  if (consent.scope === 'record') return null;
  const folderId = consent.scope === 'folder' ? (consent.folderId?.toLowerCase() ?? null) : null;
  if (consent.scope === 'folder' && folderId === null) return null;
  return { consent: consent.id.toLowerCase(), folderId, expiresAt: consent.expiresAt ?? null };
}

/** Every contact with an empty list of kept shares. */
export function withoutShares(current: ClientStateDocument): ClientStateDocument {
  return { ...current, contacts: Object.fromEntries(Object.entries(current.contacts).map(([key, contact]) => [key, { ...contact, shares: [] }])) };
}

const hasEnded = (share: KeptShare, now: Date) => share.expiresAt !== null && Date.parse(share.expiresAt) <= now.getTime();

const withContact = (current: ClientStateDocument, key: string, contact: VerifiedContact): ClientStateDocument => ({ ...current, contacts: { ...current.contacts, [key]: contact } });
