import { handleVaultRequest, type VaultResponse, type VaultState } from '../vault-protocol.js';

/** A key-derivation policy fast enough for tests (the real one is in password-kdf). */
export const FAST = { iterations: 1000, policy: { minIterations: 1 } };

let nextId = 1;

/** One request to the vault's dispatcher, as the worker receives it. */
export function call(state: VaultState, method: string, ...params: unknown[]): Promise<VaultResponse> {
  return handleVaultRequest(state, { id: nextId++, method, params });
}

/** The result of a request that must succeed. */
export async function result<T>(state: VaultState, method: string, ...params: unknown[]): Promise<T> {
  const response = await call(state, method, ...params);
  if (!response.ok) throw new Error(`${method} failed: ${response.error.code}: ${response.error.message}`);
  return response.result as T;
}
