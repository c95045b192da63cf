/**
 * The account flows of DESIGN 4.1/4.2 as the portal runs them: the vault (the
 * crypto worker) derives and wraps, the API stores. The password goes only
 * into the vault.
 */
import type { Me, SelfRegisteringRole, SessionResponse } from '@phr/shared-types';
import type { AuthApi } from '../../api/auth.js';
import type { VaultHandle } from '../../crypto/vault.js';

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
}

function signedIn(session: SessionResponse): SignedIn {
  return { user: session.user, accessToken: session.accessToken };
}

/**
 * Makes the keys in the worker and creates the account: a patient or doctor
 * registers; an auditor (with `invitation`) redeems the operator's invitation.
 */
export async function registerAccount(api: AuthApi, vault: VaultHandle, form: Registration & { invitation?: string }): Promise<SignedIn & { recoveryCode: string }> {
  const account = await vault.createAccount(form.password);
  const material = { email: form.email, authKey: account.authKey, kdf: account.kdf, keys: account.keys, recovery: account.recovery };
  const session = form.invitation
    ? await api.registerAuditor({ ...material, invitation: form.invitation })
    : await api.register({
        ...material,
        displayName: form.displayName,
        role: form.role,
        specialty: form.role === 'doctor' && form.specialty?.trim() ? form.specialty.trim() : undefined,
      });
  return { ...signedIn(session), recoveryCode: account.recoveryCode };
}

export async function signIn(api: AuthApi, vault: VaultHandle, email: string, password: string): Promise<SignedIn> {
  const { kdf } = await api.prelogin(email);
  const authKey = await vault.deriveLogin(password, kdf);
  const session = await api.login({ email, authKey });
  await vault.unlock(session.keys);
  return signedIn(session);
}

export async function changePassword(api: AuthApi, vault: VaultHandle, currentPassword: string, newPassword: string): Promise<void> {
  const request = await vault.changePassword(currentPassword, newPassword);
  await api.changePassword(request);
  await vault.confirmPasswordChange();
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
