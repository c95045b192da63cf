/**
 * The account flows of DESIGN 4.1/4.2 as the portal runs them: the vault (the
 * crypto worker) derives and wraps, the API stores. The password goes only
 * into the vault.
 */
import {
  ACCOUNT_ERASURE_CONFIRMATION,
  isSecondFactorChallenge,
  type AccountErasureReceipt,
  type Me,
  type SecurityKey,
  type SelfRegisteringRole,
  type SessionResponse,
} from '@phr/shared-types';
import type { AuthApi } from '../../api/auth.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { createSecurityKeyCredential, getSecurityKeyAssertion } from './webauthn.js';

export interface SignedIn {
  user: Me;
  accessToken: string;
}

export interface Registration {
  email: string;
  displayName: string;
  role: SelfRegisteringRole;
  /** Doctors: shown to patients who search for them. */
  specialty?: string;
  password: string;
  /** The privacy notice the person ticked as read (PrivacyNotice.tsx). */
  privacyNoticeVersion: string;
}

function signedIn(session: SessionResponse): SignedIn {
  return { user: session.user, accessToken: session.accessToken };
}

/**
 * Makes the keys in the worker and creates the account: a patient or doctor
 * registers with the token of the link mailed to them (`registrationToken`);
 * an auditor (with `invitation`) redeems the operator's invitation.
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
  const session = form.invitation
    ? await api.registerAuditor({ ...material, invitation: form.invitation })
    : await api.register({
        ...material,
        registrationToken: form.registrationToken ?? '',
        displayName: form.displayName,
        role: form.role,
        specialty: form.role === 'doctor' && form.specialty?.trim() ? form.specialty.trim() : undefined,
      });
  return { ...signedIn(session), recoveryCode: account.recoveryCode };
}

/** How far a sign-in has come, for the page to say what it waits for. */
export type SignInStep = 'password' | 'security-key';

/**
 * The password, then (for an account with a security key) the key's
 * assertion: the API issues no session before both (ASVS 2.3.2).
 */
export async function signIn(
  api: AuthApi,
  vault: VaultHandle,
  email: string,
  password: string,
  onStep: (step: SignInStep) => void = () => undefined,
  signal?: AbortSignal,
): Promise<SignedIn> {
  onStep('password');
  const { kdf } = await api.prelogin(email);
  const authKey = await vault.deriveLogin(password, kdf);
  const answer = await api.login({ email, authKey });
  let session: SessionResponse;
  if (isSecondFactorChallenge(answer)) {
    onStep('security-key');
    const credential = await getSecurityKeyAssertion(answer.options, signal);
    session = await api.loginWithSecurityKey({ challengeToken: answer.challengeToken, credential });
  } else {
    session = answer;
  }
  await vault.unlock(session.keys);
  return signedIn(session);
}

/** Enrols the authenticator the browser offers as a security key named `name`. */
export async function enrolSecurityKey(api: AuthApi, name: string): Promise<SecurityKey> {
  const { challengeToken, options } = await api.securityKeyOptions(name);
  const credential = await createSecurityKeyCredential(options);
  return api.addSecurityKey({ challengeToken, credential });
}

/** Removing a key is a grave step: the password proves it is the account holder. */
export async function removeSecurityKey(api: AuthApi, vault: VaultHandle, keyId: string, password: string): Promise<void> {
  await api.removeSecurityKey(keyId, await vault.currentAuthKey(password));
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

export async function recoverAccount(
  api: AuthApi,
  vault: VaultHandle,
  form: { email: string; recoveryCode: string; newPassword: string },
): Promise<SignedIn & { recoveryCode: string }> {
  const recoveryAuthKey = await vault.recoveryAuthKey(form.recoveryCode);
  const { recoveryWrappedAccountKey } = await api.recoveryKeys({ email: form.email, recoveryAuthKey });
  const { newRecoveryCode, ...reset } = await vault.recover(form.recoveryCode, recoveryWrappedAccountKey, form.newPassword);
  const session = await api.recoveryReset({ email: form.email, recoveryAuthKey, ...reset });
  await vault.unlock(session.keys);
  return { ...signedIn(session), recoveryCode: newRecoveryCode };
}
