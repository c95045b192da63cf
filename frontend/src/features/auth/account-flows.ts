/**
 * The account flows of DESIGN 4.1/4.2 as the portal runs them: the vault (the
 * crypto worker) derives and wraps, the API stores. The password goes only
 * into the vault.
 */
import {
  ACCOUNT_ERASURE_CONFIRMATION,
  ERROR_CODES,
  isSecondFactorChallenge,
  type AccountErasureReceipt,
  type LoginRequest,
  type Me,
  type ProofOfWorkPurpose,
  type ProofOfWorkSolution,
  type SecurityKey,
  type SelfRegisteringRole,
  type SessionResponse,
} from '@phr/shared-types';
import { ApiError } from '../../api/api-error.js';
import type { AuthApi } from '../../api/auth.js';
import type { SecurityKeysApi } from '../../api/security-keys.js';
import type { TrustApi } from '../../api/trust.js';
import { VaultError, type VaultHandle } from '../../crypto/vault.js';
import { createSecurityKeyCredential, getSecurityKeyAssertion, isWebAuthnAvailable, SecurityKeyUnavailable } from './webauthn.js';

export interface SignedIn {
  user: Me;
  accessToken: string;
  /** The role requires a second factor and the account has none: the session may only enrol one (docs/protocol.md "Second factors"). */
  mustEnrolSecondFactor: boolean;
}

export interface Registration {
  email: string;
  displayName: string;
  role: SelfRegisteringRole;
  /** Doctors: shown to patients who search for them. */
  specialty?: string;
  /** Doctors: what an operator checks before approving the account (docs/protocol.md "Clinicians"). */
  licence?: string;
  organisation?: string;
  password: string;
  /** The privacy notice the person ticked as read (PrivacyNotice.tsx). */
  privacyNoticeVersion: string;
}

function signedIn(session: SessionResponse): SignedIn {
  return { user: session.user, accessToken: session.accessToken, mustEnrolSecondFactor: session.mustEnrolSecondFactor === true };
}

/**
 * Makes the keys in the worker and creates the account: a patient or doctor
 * registers with the token of the link mailed to them (`registrationToken`),
 * a doctor with the licence and organisation an operator then checks; an
 * invited auditor, operator or clinician (with `invitation`) redeems it.
 */
export async function registerAccount(
  api: AuthApi,
  vault: VaultHandle,
  form: Registration & { invitation?: string; registrationToken?: string },
): Promise<SignedIn & { recoveryCode: string }> {
  const account = await vault.createAccount(form.password);
  const material = {
    email: form.email,
    authKey: account.authKey,
    kdf: account.kdf,
    keys: account.keys,
    recovery: account.recovery,
    privacyNoticeVersion: form.privacyNoticeVersion,
  };
  const isDoctor = form.role === 'doctor';
  const session = form.invitation
    ? await api.registerInvited({ ...material, invitation: form.invitation })
    : await api.register({
        ...material,
        registrationToken: form.registrationToken ?? '',
        displayName: form.displayName,
        role: form.role,
        specialty: isDoctor && form.specialty?.trim() ? form.specialty.trim() : undefined,
        licence: isDoctor ? form.licence?.trim() : undefined,
        organisation: isDoctor ? form.organisation?.trim() : undefined,
      });
  return { ...signedIn(session), recoveryCode: account.recoveryCode };
}

/** How far a sign-in has come, for the page to say what it waits for. */
export type SignInStep = 'password' | 'proof-of-work' | 'security-key' | 'authenticator-code';

/** Asks the person for the code their authenticator app shows now. */
export type AskForCode = () => Promise<string>;

/** While a proof of work runs: whole seconds it has taken so far; null once it is done. */
export type OnProofOfWork = (seconds: number | null) => void;

/** A new challenge is fetched at most this often when more work fell due while the last one was solved (others kept failing). */
const PROOF_OF_WORK_ROUNDS = 3;

/**
 * Sends a secret with the proof of work it owes (docs/protocol.md "Proof of
 * work"). The API says what is due; a known device, or an account without
 * recent failures, owes nothing and goes straight on. The work runs in the
 * crypto worker.
 */
async function withProofOfWork<T>(
  api: AuthApi,
  vault: VaultHandle,
  request: { email: string; purpose: ProofOfWorkPurpose },
  onProofOfWork: OnProofOfWork,
  send: (proofOfWork: ProofOfWorkSolution | undefined) => Promise<T>,
): Promise<T> {
  for (let round = 1; ; round++) {
    const { challenge, difficulty } = await api.proofOfWork(request);
    let proofOfWork: ProofOfWorkSolution | undefined;
    if (difficulty > 0) {
      onProofOfWork(0);
      const nonce = await vault.solveProofOfWork(challenge, difficulty, ({ elapsedMs }) => onProofOfWork(Math.floor(elapsedMs / 1000)));
      proofOfWork = { challenge, nonce };
      onProofOfWork(null);
    }
    try {
      return await send(proofOfWork);
    } catch (error) {
      const isMoreWorkDue = error instanceof ApiError && error.code === ERROR_CODES.proofOfWorkRequired;
      if (!isMoreWorkDue || round >= PROOF_OF_WORK_ROUNDS) throw error;
    }
  }
}

/** Reports how far a sign-in or an unlock has come. */
type OnSignInStep = (step: SignInStep, seconds?: number) => void;

/**
 * The password step shared by sign-in and unlock: the account's KDF settings
 * (prelogin), the auth key derived from the password in the vault, and the
 * proof of work the API asks for, sent together by `send`.
 */
async function sendPassword<T>(
  api: AuthApi,
  vault: VaultHandle,
  email: string,
  password: string,
  onStep: OnSignInStep,
  send: (request: LoginRequest) => Promise<T>,
): Promise<T> {
  onStep('password');
  const { kdf } = await api.prelogin(email);
  const authKey = await vault.deriveLogin(password, kdf);
  return withProofOfWork(
    api,
    vault,
    { email, purpose: 'login' },
    (seconds) => (seconds === null ? onStep('password') : onStep('proof-of-work', seconds)),
    (proofOfWork) => send({ email, authKey, proofOfWork }),
  );
}

/**
 * The password, then (for an account with a second factor) the security
 * key's assertion or the authenticator app's code: the API issues no session
 * before both (ASVS 2.3.2, 6.3.2). The code is asked for when the account has
 * only an app, when this browser cannot use security keys, or when the person
 * cancels the key's prompt and the account has an app too; it goes in the
 * body of POST /auth/login/totp, never in a URL. After
 * repeated failures on the account, a browser that has not signed in before
 * first does the proof of work the API asks for.
 */
export async function signIn(
  api: AuthApi,
  trust: TrustApi,
  vault: VaultHandle,
  email: string,
  password: string,
  onStep: OnSignInStep = () => undefined,
  signal?: AbortSignal,
  askForCode: AskForCode = () => Promise.reject(new Error('This sign-in needs a code from an authenticator app')),
): Promise<SignedIn> {
  const answer = await sendPassword(api, vault, email, password, onStep, (request) => api.login(request));
  let session: SessionResponse;
  if (!isSecondFactorChallenge(answer)) {
    session = answer;
  } else {
    const withCode = async () => {
      onStep('authenticator-code');
      const code = await askForCode();
      return api.loginWithTotp({ challengeToken: answer.challengeToken, code });
    };
    if (answer.secondFactor === 'totp' || (answer.acceptsTotp && !isWebAuthnAvailable())) {
      session = await withCode();
    } else {
      onStep('security-key');
      // With an app as well, a key that does not answer (or a prompt cancelled) leads to the code instead.
      const credential = await getSecurityKeyAssertion(answer.options, signal).catch((error: unknown) => {
        if (answer.acceptsTotp && error instanceof SecurityKeyUnavailable) return null;
        throw error;
      });
      session = credential ? await api.loginWithSecurityKey({ challengeToken: answer.challengeToken, credential }) : await withCode();
    }
  }
  await openKeys(api, trust, vault, session);
  return signedIn(session);
}

/**
 * Unlocks this browser's session after a reload, in a new tab or after the lock
 * (docs/protocol.md "Lock, reload and new tabs"): the password derives the auth
 * key as at sign-in, and the API continues the session of the refresh cookie,
 * rotating it, with the account's keys, which the vault opens as at sign-in. No
 * new session, no security key: the session began with it.
 */
export async function unlockSession(
  api: AuthApi,
  trust: TrustApi,
  vault: VaultHandle,
  email: string,
  password: string,
  onStep: OnSignInStep = () => undefined,
): Promise<SignedIn> {
  const session = await sendPassword(api, vault, email, password, onStep, (request) => api.unlock(request));
  await openKeys(api, trust, vault, session);
  return signedIn(session);
}

/** A sign-in the browser refused after the server let it in: what the server answered did not hold. */
export class SignInRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInRefused';
  }
}

/**
 * Opens the key blobs of a new session in the vault, which proves the served
 * public key belongs to the unwrapped private key (DESIGN 4.5). If it does
 * not, the sign-in is refused: the session is ended, and the browser reports
 * it in the account's own trail with the session's token (a lying server may
 * drop the report; the refusal stands without it).
 */
async function openKeys(api: AuthApi, trust: TrustApi, vault: VaultHandle, session: SessionResponse): Promise<void> {
  try {
    await vault.unlock(session.keys);
  } catch (error) {
    if (!(error instanceof VaultError) || error.code !== 'OWN_KEY_MISMATCH') throw error;
    const served = await vault.fingerprintOf(session.keys.publicKey).catch(() => 'none: not a valid key');
    const detail = `at sign-in the server served a public key for this account (fingerprint ${served}) that does not belong to its private key`;
    await trust.reportSecurityEvent({ kind: 'own-key-mismatch', detail }, session.accessToken).catch(() => undefined);
    await api.logout().catch(() => undefined);
    throw new SignInRefused(
      'Sign-in refused: the server sent this browser a public key for your account that is not yours. Anything shared with that key could be read by someone else. Nothing was opened; the event was reported to your audit trail. Contact support and do not share records until this is resolved.',
    );
  }
}

/** Enrols the authenticator the browser offers as a security key named `name`. */
export async function enrolSecurityKey(securityKeys: SecurityKeysApi, name: string): Promise<SecurityKey> {
  const { challengeToken, options } = await securityKeys.options(name);
  const credential = await createSecurityKeyCredential(options);
  return securityKeys.add({ challengeToken, credential });
}

/** Removing a key is a grave step: the password proves it is the account holder. */
export async function removeSecurityKey(securityKeys: SecurityKeysApi, vault: VaultHandle, keyId: string, password: string): Promise<void> {
  await securityKeys.remove(keyId, await vault.currentAuthKey(password));
}

export async function changePassword(api: AuthApi, vault: VaultHandle, currentPassword: string, newPassword: string): Promise<void> {
  const request = await vault.changePassword(currentPassword, newPassword);
  await api.changePassword(request);
  await vault.confirmPasswordChange();
}

/** Erasure (GDPR Art. 17): the password proves it is the account holder; the typed words were checked by the form. */
export async function eraseAccount(api: AuthApi, vault: VaultHandle, password: string, reason: string): Promise<AccountErasureReceipt> {
  const currentAuthKey = await vault.currentAuthKey(password);
  return api.eraseAccount({ currentAuthKey, confirmation: ACCOUNT_ERASURE_CONFIRMATION, reason: reason.trim() || undefined });
}

/**
 * Recovery with the recovery code: its proof (with any proof of work due)
 * fetches the recovery wrap, and makes this browser a known device, so the
 * reset that follows owes no second proof of work.
 */
export async function recoverAccount(
  api: AuthApi,
  trust: TrustApi,
  vault: VaultHandle,
  form: { email: string; recoveryCode: string; newPassword: string },
  onProofOfWork: OnProofOfWork = () => undefined,
): Promise<SignedIn & { recoveryCode: string }> {
  const recoveryAuthKey = await vault.recoveryAuthKey(form.recoveryCode);
  const purpose = { email: form.email, purpose: 'recovery' as const };
  const { recoveryWrappedAccountKey } = await withProofOfWork(api, vault, purpose, onProofOfWork, (proofOfWork) =>
    api.recoveryKeys({ email: form.email, recoveryAuthKey, proofOfWork }),
  );
  const { newRecoveryCode, ...reset } = await vault.recover(form.recoveryCode, recoveryWrappedAccountKey, form.newPassword);
  const session = await withProofOfWork(api, vault, purpose, onProofOfWork, (proofOfWork) =>
    api.recoveryReset({ email: form.email, recoveryAuthKey, ...reset, proofOfWork }),
  );
  await openKeys(api, trust, vault, session);
  return { ...signedIn(session), recoveryCode: newRecoveryCode };
}
