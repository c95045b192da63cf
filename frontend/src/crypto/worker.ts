/// <reference lib="webworker" />
/**
 * The crypto worker (DESIGN 4.4): holds the unwrapped keys as non-extractable
 * CryptoKeys and does all cryptography off the page's thread. The keys die
 * with the worker: on logout, idle lock and reload.
 */
import { handleVaultRequest, newVaultState, type VaultRequest } from './vault-protocol.js';

const state = newVaultState();
const scope = self as unknown as DedicatedWorkerGlobalScope;

// Requests are handled one at a time, in order, so a lock() cannot overtake an unlock().
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event: MessageEvent<VaultRequest>) => {
  queue = queue.then(async () => scope.postMessage(await handleVaultRequest(state, event.data)));
};
