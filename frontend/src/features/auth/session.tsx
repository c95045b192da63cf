/**
 * The signed-in state of the portal: who is signed in, the access token (in
 * memory), the crypto vault, and the lock. A reload or a new tab starts without
 * keys (they lived only in the previous page's worker, DESIGN 4.4) but not
 * without the session: the refresh cookie survives, the browser remembers the
 * email, and the page is locked until the password unlocks it
 * (docs/protocol.md "Lock, reload and new tabs").
 */
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Me } from '@phr/shared-types';
import { auditApi, type AuditApi } from '../../api/audit.js';
import { authApi, type AuthApi } from '../../api/auth.js';
import { cliniciansApi, type CliniciansApi } from '../../api/clinicians.js';
import { createApiClient } from '../../api/client.js';
import { consentsApi, type ConsentsApi } from '../../api/consents.js';
import { trustedContactsApi, type TrustedContactsApi } from '../../api/trusted-contacts.js';
import { emergencyApi, type EmergencyApi } from '../../api/emergency.js';
import { doctorsApi, type DoctorsApi } from '../../api/doctors.js';
import { foldersApi, type FoldersApi } from '../../api/folders.js';
import { keyRotationApi, type KeyRotationApi } from '../../api/key-rotation.js';
import { recordsApi, type RecordsApi } from '../../api/records.js';
import { securityKeysApi, type SecurityKeysApi } from '../../api/security-keys.js';
import { totpApi, type TotpApi } from '../../api/totp.js';
import { apiTokensApi, sessionsApi, type ApiTokensApi, type SessionsApi } from '../../api/sessions.js';
import { trustApi, type TrustApi } from '../../api/trust.js';
import { createVault, type VaultHandle } from '../../crypto/vault.js';
import { securityEventsSincePreviousSignIn, type SecuritySummary } from '../account/security-events.js';
import type { SignedIn } from './account-flows.js';
import { forgetSession, rememberedEmail, rememberSession, REMEMBERED_SESSION_KEY } from './remembered-session.js';

/** DESIGN 4.4: keys are dropped after this long without input. */
export const IDLE_LOCK_MS = 15 * 60 * 1000;
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

interface SessionContextValue {
  user: Me | null;
  api: AuthApi;
  /** The account's signed-in browsers. */
  sessions: SessionsApi;
  /** An auditor's read-only API tokens. */
  apiTokens: ApiTokensApi;
  securityKeys: SecurityKeysApi;
  /** The authenticator app (TOTP). */
  totp: TotpApi;
  keyRotation: KeyRotationApi;
  records: RecordsApi;
  folders: FoldersApi;
  /** A patient's shares, a doctor's received ones. */
  consents: ConsentsApi;
  /** The doctor search and the keys the server serves for doctors. */
  doctors: DoctorsApi;
  /** A patient's trusted contacts, and the patients who named the caller (docs/protocol.md "Trusted contacts"). */
  trustedContacts: TrustedContactsApi;
  audit: AuditApi;
  /** The operators' clinician queue and decisions. */
  clinicians: CliniciansApi;
  /** Break-glass: the patient's setup, holders' releases, clinicians' breaks, auditors' reviews. */
  emergency: EmergencyApi;
  /** Security-event reports (and what the browser keeps to check the server). */
  trust: TrustApi;
  vault: VaultHandle;
  /** A recovery code to show once before anything else. */
  pendingRecoveryCode: string | null;
  /** Why the last session ended or locked, for the sign-in page and the lock screen. */
  notice: string | null;
  /** The account whose session this browser holds while no page of it has the keys: the lock screen's email. */
  lockedEmail: string | null;
  /** Security events since the previous sign-in, shown once after a sign-in (ASVS 2.2.3). */
  securityNotice: SecuritySummary | null;
  /** The role requires a second factor and the account has none: the portal shows only its enrolment (docs/protocol.md "Second factors"). */
  mustEnrolSecondFactor: boolean;
  /** A second factor was just enrolled: a refresh gives this session a full access token. */
  secondFactorEnrolled(): Promise<void>;
  start(session: SignedIn, recoveryCode?: string): void;
  /** After a sign-in with the password: reads the trail for what happened since the previous one. */
  loadSecurityNotice(signedInUser: Me): void;
  /** The account as the API now describes it, after the user corrected their details. */
  userChanged(updated: Me): void;
  dismissSecurityNotice(): void;
  recoveryCodeStored(): void;
  /** Signs out: the session ends on the server and the browser forgets the account. */
  end(notice?: string): Promise<void>;
  /** Locks this page: the keys and the access token go, the session stays for the password to unlock. */
  lock(notice?: string): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

const SESSION_ENDED = 'Your session has ended. Please sign in again.';
const SIGNED_OUT_ELSEWHERE = 'You signed out in another tab.';

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<Me | null>(null);
  const [pendingRecoveryCode, setPendingRecoveryCode] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [lockedEmail, setLockedEmail] = useState<string | null>(rememberedEmail);
  const [securityNotice, setSecurityNotice] = useState<SecuritySummary | null>(null);
  const [mustEnrolSecondFactor, setMustEnrolSecondFactor] = useState(false);
  const endRef = useRef<(notice?: string) => Promise<void>>(async () => undefined);
  const client = useMemo(() => createApiClient(() => void endRef.current(SESSION_ENDED)), []);
  const api = useMemo(() => authApi(client), [client]);
  const sessions = useMemo(() => sessionsApi(client), [client]);
  const apiTokens = useMemo(() => apiTokensApi(client), [client]);
  const securityKeys = useMemo(() => securityKeysApi(client), [client]);
  const totp = useMemo(() => totpApi(client), [client]);
  const keyRotation = useMemo(() => keyRotationApi(client), [client]);
  const records = useMemo(() => recordsApi(client), [client]);
  const folders = useMemo(() => foldersApi(client), [client]);
  const consents = useMemo(() => consentsApi(client), [client]);
  const doctors = useMemo(() => doctorsApi(client), [client]);
  const trustedContacts = useMemo(() => trustedContactsApi(client), [client]);
  const audit = useMemo(() => auditApi(client), [client]);
  const clinicians = useMemo(() => cliniciansApi(client), [client]);
  const emergency = useMemo(() => emergencyApi(client), [client]);
  const trust = useMemo(() => trustApi(client), [client]);
  const vault = pageVault();

  const end = useCallback(
    async (reason?: string) => {
      // The server's logout and the worker's lock run side by side: neither waits for the other, and
      // the screen changes once both are done (the next sign-in cannot race the old session's logout).
      await Promise.allSettled([api.logout(), vault.lock()]);
      client.setAccessToken(null);
      forgetSession();
      setLockedEmail(null);
      setUser(null);
      setPendingRecoveryCode(null);
      setSecurityNotice(null);
      setMustEnrolSecondFactor(false);
      // A request of this tab refused because another tab signed out says why in that tab's words, whichever came first.
      setNotice((current) => (current === SIGNED_OUT_ELSEWHERE && reason === SESSION_ENDED ? current : (reason ?? null)));
    },
    [api, client, vault],
  );
  endRef.current = end;

  const lock = useCallback(
    async (reason?: string) => {
      await vault.lock().catch(() => undefined);
      client.setAccessToken(null);
      setLockedEmail(rememberedEmail() ?? user?.email ?? null);
      setUser(null);
      setSecurityNotice(null);
      setNotice(reason ?? null);
    },
    [client, vault, user],
  );

  const start = useCallback(
    (session: SignedIn, recoveryCode?: string) => {
      client.setAccessToken(session.accessToken);
      rememberSession(session.user.email);
      setLockedEmail(null);
      setUser(session.user);
      setPendingRecoveryCode(recoveryCode ?? null);
      setNotice(null);
      setSecurityNotice(null);
      setMustEnrolSecondFactor(session.mustEnrolSecondFactor);
    },
    [client],
  );

  const secondFactorEnrolled = useCallback(async () => {
    const refreshed = await api.refresh();
    client.setAccessToken(refreshed.accessToken);
    setMustEnrolSecondFactor(refreshed.mustEnrolSecondFactor === true);
  }, [api, client]);

  const loadSecurityNotice = useCallback(
    (signedInUser: Me) => {
      // Without the trail there is nothing to tell; the sign-in itself stands.
      securityEventsSincePreviousSignIn(audit, signedInUser).then(setSecurityNotice, () => setSecurityNotice(null));
    },
    [audit],
  );

  // However a session ends (the button, the idle lock, a refused refresh, an erased account), what its queries
  // hold, decrypted names included, goes with it: the next person at this browser starts from an empty cache.
  // An effect, so it runs once the signed-in pages have unmounted and no observer of theirs can fill it again.
  const queryClient = useQueryClient();
  useEffect(() => {
    if (user === null) queryClient.clear();
  }, [user, queryClient]);

  // Signed out in another tab: this one drops its keys too, and forgets the account, as that tab did.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== REMEMBERED_SESSION_KEY || rememberedEmail() !== null) return;
      void vault.lock().catch(() => undefined);
      client.setAccessToken(null);
      setLockedEmail(null);
      setUser(null);
      setNotice(SIGNED_OUT_ELSEWHERE);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [client, vault]);

  useIdleLock(user !== null, () => void lock('Locked after 15 minutes without activity. Your keys were cleared from this page; your password unlocks it again.'));

  const value = useMemo<SessionContextValue>(
    () => ({
      user,
      api,
      sessions,
      apiTokens,
      securityKeys,
      totp,
      keyRotation,
      records,
      folders,
      consents,
      doctors,
      trustedContacts,
      audit,
      clinicians,
      emergency,
      trust,
      vault,
      pendingRecoveryCode,
      notice,
      lockedEmail,
      securityNotice,
      mustEnrolSecondFactor,
      secondFactorEnrolled,
      start,
      end,
      lock,
      loadSecurityNotice,
      dismissSecurityNotice: () => setSecurityNotice(null),
      recoveryCodeStored: () => setPendingRecoveryCode(null),
      userChanged: setUser,
    }),
    [user, api, sessions, apiTokens, securityKeys, totp, keyRotation, records, folders, consents, doctors, trustedContacts, audit, clinicians, emergency, trust, vault, pendingRecoveryCode, notice, lockedEmail, securityNotice, mustEnrolSecondFactor, secondFactorEnrolled, start, end, lock, loadSecurityNotice],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

let vaultOfThisPage: VaultHandle | null = null;

/** One crypto worker per page load: it dies with the page, and with it every key. */
function pageVault(): VaultHandle {
  vaultOfThisPage ??= createVault();
  return vaultOfThisPage;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** Calls `onIdle` after IDLE_LOCK_MS without user input, while `isActive`. */
function useIdleLock(isActive: boolean, onIdle: () => void): void {
  const onIdleRef = useRef(onIdle);
  onIdleRef.current = onIdle;
  useEffect(() => {
    if (!isActive) return;
    let timer = window.setTimeout(() => onIdleRef.current(), IDLE_LOCK_MS);
    const reset = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => onIdleRef.current(), IDLE_LOCK_MS);
    };
    for (const event of ACTIVITY_EVENTS) window.addEventListener(event, reset, { passive: true });
    return () => {
      window.clearTimeout(timer);
      for (const event of ACTIVITY_EVENTS) window.removeEventListener(event, reset);
    };
  }, [isActive]);
}
