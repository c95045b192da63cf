/** The authenticator app (TOTP), a second factor beside security keys (ASVS 6.3.2), typed by the contract, and its query keys. */
import { ROUTES } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function totpApi(client: ApiClient) {
  return {
    status: () => client.call(ROUTES.totpStatus),
    enrol: () => client.call(ROUTES.enrolTotp),
    /** The code goes in the body, never the URL. */
    confirm: (code: string) => client.call(ROUTES.confirmTotp, { body: { code } }),
    remove: (currentAuthKey: string) => client.call(ROUTES.removeTotp, { body: { currentAuthKey } }),
  };
}

export type TotpApi = ReturnType<typeof totpApi>;

/** Query keys of the authenticator app; every key starts with `all`. */
export const totpKeys = {
  all: ['totp'] as const,
  status: () => [...totpKeys.all, 'status'] as const,
};
