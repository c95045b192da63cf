import { ApiError, describeError } from '../../api/api-error.js';
import { VaultError } from '../../crypto/vault.js';

/**
 * The words for a step that asked for the current password: a wrong one fails in the browser
 * (the account key does not open) or at the server (the auth key is refused); anything else is
 * described as it is.
 */
export function currentPasswordError(error: unknown): string {
  const isWrongPassword =
    (error instanceof VaultError && error.code === 'DECRYPT_FAILED') || (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS');
  return isWrongPassword ? 'The current password is not correct.' : describeError(error);
}
