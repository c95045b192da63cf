/// <reference lib="webworker" />
/**
 * The crypto worker (DESIGN 4.4): holds the unwrapped keys as non-extractable
 * CryptoKeys and does all cryptography off the page's thread. The keys die
 * with the worker: on logout, idle lock and reload.
 */
import { LOG_PUBLIC_KEY } from './log-key.js';
import { CONCURRENT_METHODS, handleVaultRequest, newVaultState, type VaultEvent, type VaultRequest } from './vault-protocol.js';

// The log key comes with the build, never from the API it judges.
const state = newVaultState({ logPublicKey: LOG_PUBLIC_KEY });
const scope = self as unknown as DedicatedWorkerGlobalScope;

const emit = (event: VaultEvent) => scope.postMessage(event);

// Requests are handled one at a time, in order, so a lock() cannot overtake an unlock();
// uploads and downloads, which wait on the network, run beside the queue.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event: MessageEvent<VaultRequest>) => {
  const request = event.data;
  if (CONCURRENT_METHODS.has(request.method)) {
    void handleVaultRequest(state, request, emit).then((response) => scope.postMessage(response));
    return;
  }
  queue = queue.then(async () => scope.postMessage(await handleVaultRequest(state, request, emit)));
};
