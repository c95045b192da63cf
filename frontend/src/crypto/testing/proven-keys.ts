/**
 * For vault tests that wrap for a doctor: the doctor's key is logged in a test
 * key log and proven to the vault as the portal proves it (tree head accepted,
 * binding verified), since the vault wraps only for proven keys.
 */
import type { KeyBinding, Role } from '@phr/shared-types';
import { fromBase64Url } from '../encoding.js';
import { fingerprintHex } from '../fingerprint.js';
import { handleVaultRequest, type VaultState } from '../vault-protocol.js';
import type { TestKeyLog } from './key-log.js';

let nextId = 1_000_000;

async function call(state: VaultState, method: string, ...params: unknown[]): Promise<unknown> {
  const response = await handleVaultRequest(state, { id: nextId++, method, params });
  if (!response.ok) throw new Error(`${method} failed: ${response.error.code}: ${response.error.message}`);
  return response.result;
}

export async function bindingFor(userId: string, role: Role, publicKey: string): Promise<KeyBinding> {
  return { userId, role, publicKey, fingerprint: await fingerprintHex(fromBase64Url(publicKey)), boundAt: new Date().toISOString() };
}

/** Logs the binding, has the vault accept the log's new head, and proves the binding to it. */
export async function proveKey(state: VaultState, log: TestKeyLog, userId: string, publicKey: string, role: Role = 'doctor'): Promise<void> {
  log.append(await bindingFor(userId, role, publicKey));
  const before = state.verifiedHead?.treeSize;
  const proofs = before === undefined ? [] : [await log.consistency(before)];
  await call(state, 'acceptTreeHead', await log.head(), null, proofs);
  await call(state, 'verifyKeyBinding', await log.bindingProof(userId), userId);
}
