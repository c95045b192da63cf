/**
 * The auth area of the API (sign-in, registration, recovery, the account's credentials and
 * details), typed by the contract, and the account's query keys. Sessions, security keys and the
 * account-key rotation have modules of their own.
 */
import {
  ROUTES,
  type ChangePasswordRequest,
  type EraseAccountRequest,
  type LoginRequest,
  type Me,
  type ProofOfWorkRequest,
  type RecoveryKeysRequest,
  type RecoveryResetRequest,
  type RegisterInvitedRequest,
  type RegisterRequest,
  type RotateKeyPairRequest,
  type StartRegistrationRequest,
  type TotpLoginRequest,
  type UpdateMeRequest,
  type WebAuthnLoginRequest,
} from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function authApi(client: ApiClient) {
  return {
    prelogin: (email: string) => client.call(ROUTES.prelogin, { body: { email } }),
    proofOfWork: (body: ProofOfWorkRequest) => client.call(ROUTES.proofOfWork, { body }),
    startRegistration: (body: StartRegistrationRequest) => client.call(ROUTES.startRegistration, { body }),
    register: (body: RegisterRequest) => client.call(ROUTES.register, { body }),
    /** An auditor's, an operator's or a clinician's one-time invitation: the invitation says the role and the name. */
    registerInvited: (body: RegisterInvitedRequest) => client.call(ROUTES.registerInvited, { body }),
    login: (body: LoginRequest) => client.call(ROUTES.login, { body }),
    loginWithSecurityKey: (body: WebAuthnLoginRequest) => client.call(ROUTES.loginWebAuthn, { body }),
    /** The authenticator app's code, in the body (never the URL). */
    loginWithTotp: (body: TotpLoginRequest) => client.call(ROUTES.loginTotp, { body }),
    /** A new access token for this session: after a second factor is enrolled, a full one (docs/protocol.md "Second factors"). */
    refresh: () => client.call(ROUTES.refresh),
    logout: () => client.call(ROUTES.logout),
    /** A locked browser's session continued with the password (docs/protocol.md "Lock, reload and new tabs"). */
    unlock: (body: LoginRequest) => client.call(ROUTES.unlock, { body }),
    changePassword: (body: ChangePasswordRequest) => client.call(ROUTES.changePassword, { body }),
    rotateKeyPair: (body: RotateKeyPairRequest) => client.call(ROUTES.rotateKeyPair, { body }),
    recoveryKeys: (body: RecoveryKeysRequest) => client.call(ROUTES.recoveryKeys, { body }),
    recoveryReset: (body: RecoveryResetRequest) => client.call(ROUTES.recoveryReset, { body }),
    me: (): Promise<Me> => client.call(ROUTES.me),
    updateMe: (body: UpdateMeRequest): Promise<Me> => client.call(ROUTES.updateMe, { body }),
    eraseAccount: (body: EraseAccountRequest) => client.call(ROUTES.eraseAccount, { body }),
  };
}

export type AuthApi = ReturnType<typeof authApi>;

/** Query keys of the signed-in account; every key starts with `all`. */
export const accountKeys = {
  all: ['account'] as const,
  /** GET /me, read again for a doctor's standing (features/clinicians/clinician-standing.ts). */
  standing: () => [...accountKeys.all, 'standing'] as const,
  /** The fingerprint of the own key pair, computed in the vault. */
  ownFingerprint: () => [...accountKeys.all, 'own-fingerprint'] as const,
};
