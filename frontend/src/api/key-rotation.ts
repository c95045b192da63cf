/** The account-key rotation (docs/protocol.md "Account-key rotation"), typed by the contract, and its query keys. */
import { ROUTES, type FinishKeyRotationRequest, type KeyRotationBatchRequest, type StartKeyRotationRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function keyRotationApi(client: ApiClient) {
  return {
    state: () => client.call(ROUTES.keyRotation),
    start: (body: StartKeyRotationRequest) => client.call(ROUTES.startKeyRotation, { body }),
    batch: (body: KeyRotationBatchRequest) => client.call(ROUTES.keyRotationBatch, { body }),
    finish: (body: FinishKeyRotationRequest) => client.call(ROUTES.finishKeyRotation, { body }),
  };
}

export type KeyRotationApi = ReturnType<typeof keyRotationApi>;

/** Query keys of the account-key rotation; every key starts with `all`. */
export const keyRotationKeys = {
  all: ['key-rotation'] as const,
  state: () => [...keyRotationKeys.all, 'state'] as const,
  /** Whether this browser's vault holds the new account key of a rotation under way. */
  inVault: () => [...keyRotationKeys.all, 'vault'] as const,
};
