/**
 * The browser as the judge of the server (DESIGN 4.5, 7): runs the sign-in
 * checks once per session, holds the red alerts they raise, the client state
 * they keep, and proves other accounts' keys before anything is wrapped for
 * them. Every failure is reported as a security event.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { AuditEvent, AuditHead, Consent } from '@phr/shared-types';
import type { ClientStateDocument, KeptShare } from '../../crypto/client-state.js';
import type { VerifiedBinding } from '../../crypto/trust-vault.js';
import { useSession } from '../auth/session.js';
import { checkChainSinceCheckpoint, judgeWholeTrail, type ChainCheck, type TrailVerdict } from './audit-checkpoint.js';
import { ClientStateStore, forgetShare, type GrantedShare, keepAuditHead, keepShare, keepsShare, keepTreeHead, KeptStateConflict, keptShareOf, rememberContact, sharesTakeIn } from './client-state-store.js';
import { acceptLatestTreeHead, foreignOwnEntrySince, proveBinding, requireSameKey } from './key-directory-checks.js';
import { proveOwnKey } from './own-key-check.js';
import { auditFailure, ownBindingMismatch, runSignInChecks } from './sign-in-checks.js';
import { TrustFailure } from './trust-failure.js';

export interface TrustAlert {
  kind: TrustFailure['kind'];
  message: string;
}

/** Another place the API served an account's key, to compare with the proven one. */
export interface ServedKey {
  where: string;
  publicKey: string;
}

interface TrustContextValue {
  /** What the checks of this session caught, in the order they did. */
  alerts: TrustAlert[];
  /** Whether the sign-in checks of this session have run. */
  isChecked: boolean;
  /** The client state as last read or written; null before it was read. */
  clientState: ClientStateDocument | null;
  /** Proves an account's key in the key directory (and that every other place served the same key); throws a reported TrustFailure. */
  proveKey(userId: string, name: string, served: ServedKey[]): Promise<VerifiedBinding>;
  /**
   * proveKey, and the proven key must be the one the patient compared (their
   * sealed contact): used where no one reads numbers aloud (a new upload into
   * a shared folder). A doctor who is not a contact was never shared with
   * (every share compares the numbers first), so the server naming one is
   * refused, as a changed key is; so is a contact whose shares kept by the
   * patient's browsers do not give them `what` (a new record in a folder, or
   * a consent's new label): revoked, ended or never granted. Answers the key
   * to wrap for.
   */
  proveContactKey(doctorId: string, name: string, served: ServedKey[], what: SharedThing): Promise<string>;
  /** The patient compared a doctor's numbers and they matched. */
  rememberContact(doctorId: string, fingerprint: string): Promise<void>;
  /**
   * A share just granted is kept with its contact when it takes new records in (a folder or
   * everything): its id as the server answered, the rest as this browser asked for it. `inForce`
   * lists the shares the server says are in force, read only for a contact kept before shares were.
   */
  keepShare(granted: GrantedShare, inForce: () => Promise<Consent[]>): Promise<void>;
  /** A share about to be revoked is dropped from its contact; `inForce` as for keepShare. */
  forgetShare(consent: Pick<Consent, 'id' | 'doctorId'>, inForce: () => Promise<Consent[]>): Promise<void>;
  /** Judges a trail fetched whole against the kept head; keeps the new head when it holds, raises when not. */
  judgeTrail(rows: AuditEvent[], head: AuditHead): Promise<TrailVerdict>;
  /** Verifies the own chain from the kept head to the server's (only the rows since); keeps the new head when it holds, raises when not. */
  checkOwnChain(): Promise<ChainCheck>;
  /** A check made elsewhere (the key rotation) failed: the red alert, and its report to the trail. */
  raise(failure: TrustFailure): void;
  /** Self-monitoring after a key-pair rotation: the directory's latest binding for this account is the vault's new key (raises when not); answers its leaf index. */
  proveOwnKey(): Promise<number>;
  /** The stored client state did not open this session, and whether the account holder replaced it since (replaceClientState). */
  clientStateRepair: 'needed' | 'done' | null;
  /** Replaces a stored client state that did not open with one sealed from this session's heads (ClientStateStore.replaceUnusable). */
  replaceClientState(): Promise<void>;
}

/** What a doctor named by the server is to get: a new record in a folder (null: none), or something of a consent. */
export type SharedThing = { folderId: string | null } | { consentId: string };

const TrustContext = createContext<TrustContextValue | null>(null);

export function TrustProvider({ children }: { children: ReactNode }) {
  const { user, trust, audit, vault } = useSession();
  const [alerts, setAlerts] = useState<TrustAlert[]>([]);
  const [clientState, setClientState] = useState<ClientStateDocument | null>(null);
  const [isChecked, setIsChecked] = useState(false);
  const [clientStateRepair, setClientStateRepair] = useState<TrustContextValue['clientStateRepair']>(null);
  const store = useRef<ClientStateStore | null>(null);
  const signInChecks = useRef<Promise<void>>(Promise.resolve());
  const checkedFor = useRef<string | null>(null);

  const raise = useCallback(
    (failure: TrustFailure) => {
      setAlerts((current) => (current.some((alert) => alert.message === failure.message) ? current : [...current, { kind: failure.kind, message: failure.message }]));
      // The refusal stands whether or not the report arrives (a lying server may drop it).
      void trust.reportSecurityEvent({ kind: failure.kind, detail: failure.detail }).catch(() => undefined);
    },
    [trust],
  );

  const userId = user?.id ?? null;
  useEffect(() => {
    if (userId === null) {
      checkedFor.current = null;
      store.current = null;
      setAlerts([]);
      setClientState(null);
      setIsChecked(false);
      setClientStateRepair(null);
      return;
    }
    // Once per session (React may run an effect twice in development).
    if (checkedFor.current === userId) return;
    checkedFor.current = userId;
    const sessionStore = new ClientStateStore(trust, vault, userId, setClientState);
    store.current = sessionStore;
    signInChecks.current = runSignInChecks({ trust, audit, vault, store: sessionStore, userId, raise })
      .catch(() => undefined)
      .finally(() => {
        if (sessionStore.isUnusableState) setClientStateRepair('needed');
        setIsChecked(true);
      });
  }, [userId, trust, audit, vault, raise]);

  /**
   * The session's store once it holds what was kept: after the sign-in checks (which read it), read
   * again if they could not. A check started from the empty state before that read would accept
   * whatever the server shows (a rewritten trail verified from genesis, any log head, no contacts).
   */
  const requireStore = useCallback(async (): Promise<ClientStateStore> => {
    await signInChecks.current;
    const sessionStore = store.current;
    if (!sessionStore) throw new Error('Not signed in');
    if (!sessionStore.isRead) await sessionStore.load();
    return sessionStore;
  }, []);

  /** Raises and rethrows a failed check; other errors pass through. */
  const reported = useCallback(
    <T,>(work: () => Promise<T>): Promise<T> =>
      work().catch((error: unknown) => {
        const failure = error instanceof KeptStateConflict ? new TrustFailure(error.kind, error.message) : error;
        if (failure instanceof TrustFailure) raise(failure);
        throw failure;
      }),
    [raise],
  );

  const proveKey = useCallback(
    (accountId: string, name: string, served: ServedKey[]) =>
      reported(async () => {
        const sessionStore = await requireStore();
        const { head, keep } = await acceptLatestTreeHead(trust, vault, sessionStore.current.keyLog);
        // The head is kept, so the next sign-in checks from it: the account's own entries up to it are checked first, as there.
        if (userId === null) throw new Error('Not signed in');
        const foreign = await foreignOwnEntrySince(trust, vault, userId, sessionStore.current.keyLog, head);
        if (foreign) throw ownBindingMismatch(foreign, 'was shown to others for a while');
        await sessionStore.update(keepTreeHead(keep));
        const verified = await proveBinding(trust, vault, accountId, head, name);
        requireSameKey(verified, served, name);
        return verified;
      }),
    [reported, requireStore, trust, vault, userId],
  );

  const proveContactKey = useCallback(
    async (doctorId: string, name: string, served: ServedKey[], what: SharedThing) => {
      const verified = await proveKey(doctorId, name, served);
      const contact = (await requireStore()).current.contacts[doctorId.toLowerCase()];
      // Every share starts by comparing the doctor's numbers, which makes them a contact: a doctor who is not one was never shared with from this account, whatever the server says.
      if (!contact) {
        throw new Error(`The server asked to give ${name} a copy of this file, but you have not shared with ${name} from this account; nothing was shared. Open Share with ${name} if you mean to.`);
      }
      if (!('folderId' in what ? sharesTakeIn(contact, what.folderId) : keepsShare(contact, what.consentId))) {
        throw new Error(
          `The server asked to give ${name} a copy, but none of your shares with ${name} in force takes it in (revoked, ended, not shared from this account, or not kept when it was shared); nothing was shared. Open Share with ${name} if you mean to.`,
        );
      }
      if (contact.fingerprint !== verified.fingerprint) {
        throw new Error(
          `The key of ${name} changed since you verified it on ${new Date(contact.verifiedAt).toLocaleDateString()}; nothing was shared with the new key. Open Share with ${name} to compare the new numbers.`,
        );
      }
      return verified.publicKey;
    },
    [proveKey, requireStore],
  );

  const value = useMemo<TrustContextValue>(
    () => ({
      alerts,
      isChecked,
      clientState,
      proveKey,
      proveContactKey,
      rememberContact: async (doctorId, fingerprint) => {
        await (await requireStore()).update(rememberContact(doctorId, fingerprint));
      },
      keepShare: async (consent, inForce) => {
        const share = keptShareOf(consent);
        if (!share) return;
        const sessionStore = await requireStore();
        await sessionStore.update(keepShare(consent.doctorId, share, await earlierShares(sessionStore, consent.doctorId, inForce)));
      },
      forgetShare: async (consent, inForce) => {
        const sessionStore = await requireStore();
        await sessionStore.update(forgetShare(consent.doctorId, consent.id, await earlierShares(sessionStore, consent.doctorId, inForce)));
      },
      raise,
      judgeTrail: async (rows, head) => {
        const sessionStore = await requireStore();
        const verdict = await judgeWholeTrail(rows, head, sessionStore.current.audit);
        if (!verdict.isIntact) raise(auditFailure(verdict.firstBadSeq, verdict.problem));
        else await reported(() => sessionStore.update(keepAuditHead(verdict.head)));
        return verdict;
      },
      checkOwnChain: async () => {
        const sessionStore = await requireStore();
        if (userId === null) throw new Error('Not signed in');
        const check = await checkChainSinceCheckpoint(audit, userId, sessionStore.current.audit);
        const { verdict } = check;
        if (!verdict.isIntact) raise(auditFailure(verdict.firstBadSeq, verdict.problem));
        else await reported(() => sessionStore.update(keepAuditHead(verdict.head)));
        return check;
      },
      proveOwnKey: () =>
        reported(async () => {
          if (userId === null) throw new Error('Not signed in');
          return proveOwnKey(trust, vault, await requireStore(), userId);
        }),
      clientStateRepair,
      replaceClientState: async () => {
        await (await requireStore()).replaceUnusable();
        setClientStateRepair('done');
      },
    }),
    [alerts, isChecked, clientState, proveKey, proveContactKey, reported, requireStore, raise, trust, vault, userId, audit, clientStateRepair],
  );
  return <TrustContext.Provider value={value}>{children}</TrustContext.Provider>;
}

/** For a contact kept before shares were: the shares with that doctor the server lists in force, as kept shares (read once, when its list starts); otherwise none. */
async function earlierShares(store: ClientStateStore, doctorId: string, inForce: () => Promise<Consent[]>): Promise<KeptShare[]> {
  const contact = store.current.contacts[doctorId.toLowerCase()];
  if (!contact || contact.shares) return [];
  return (await inForce()).filter((other) => other.doctorId.toLowerCase() === doctorId.toLowerCase()).flatMap((other) => keptShareOf(other) ?? []);
}

export function useTrust(): TrustContextValue {
  const value = useContext(TrustContext);
  if (!value) throw new Error('useTrust outside TrustProvider');
  return value;
}
