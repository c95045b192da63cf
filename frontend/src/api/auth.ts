/** The auth area of the API, typed by the contract. */
import {
  ROUTES,
  type ChangePasswordRequest,
  type LoginRequest,
  type Me,
  type RecoveryKeysRequest,
  type RecoveryResetRequest,
  type RegisterAuditorRequest,
  type RegisterRequest,
} from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function authApi(client: ApiClient) {
  return {
    prelogin: (email: string) => client.call(ROUTES.prelogin, { query: { email } }),
    register: (body: RegisterRequest) => client.call(ROUTES.register, { body }),
    registerAuditor: (body: RegisterAuditorRequest) => client.call(ROUTES.registerAuditor, { body }),
    login: (body: LoginRequest) => client.call(ROUTES.login, { body }),
    logout: () => client.call(ROUTES.logout),
    changePassword: (body: ChangePasswordRequest) => client.call(ROUTES.changePassword, { body }),
    recoveryKeys: (body: RecoveryKeysRequest) => client.call(ROUTES.recoveryKeys, { body }),
    recoveryReset: (body: RecoveryResetRequest) => client.call(ROUTES.recoveryReset, { body }),
    me: (): Promise<Me> => client.call(ROUTES.me),
  };
}

export type AuthApi = ReturnType<typeof authApi>;
