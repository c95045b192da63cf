/** Security keys, the optional second factor (ASVS 2.3.2), typed by the contract, and their query keys. */
import { ROUTES, type AddSecurityKeyRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function securityKeysApi(client: ApiClient) {
  return {
    list: () => client.call(ROUTES.listSecurityKeys),
    options: (name: string) => client.call(ROUTES.securityKeyOptions, { body: { name } }),
    add: (body: AddSecurityKeyRequest) => client.call(ROUTES.addSecurityKey, { body }),
    remove: (id: string, currentAuthKey: string) => client.call(ROUTES.removeSecurityKey, { params: { id }, body: { currentAuthKey } }),
  };
}

export type SecurityKeysApi = ReturnType<typeof securityKeysApi>;

/** Query keys of the security keys; every key starts with `all`. */
export const securityKeyKeys = {
  all: ['security-keys'] as const,
  list: () => [...securityKeyKeys.all, 'list'] as const,
};
