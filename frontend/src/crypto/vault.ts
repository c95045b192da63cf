/**
 * The page's handle on the crypto worker: typed calls, answers matched by
 * request id. The page never receives a key, only what it sends to the API.
 */
import { vaultMethods, type Vault, type VaultMethodName, type VaultRequest, type VaultResponse } from './vault-protocol.js';

export class VaultError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface VaultHandle extends Vault {
  /** Ends the worker; every key in it is gone. */
  terminate(): void;
}

export function createVault(): VaultHandle {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'phr-crypto' });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;

  worker.onmessage = (event: MessageEvent<VaultResponse>) => {
    const response = event.data;
    const waiter = pending.get(response.id);
    if (!waiter) return;
    pending.delete(response.id);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(new VaultError(response.error.code, response.error.message));
  };
  worker.onerror = () => {
    for (const waiter of pending.values()) waiter.reject(new VaultError('WORKER_FAILED', 'The crypto worker stopped'));
    pending.clear();
  };

  const call = (method: VaultMethodName, params: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const request: VaultRequest = { id, method, params };
      worker.postMessage(request);
    });

  const handle = { terminate: () => worker.terminate() } as VaultHandle;
  for (const method of Object.keys(vaultMethods) as VaultMethodName[]) {
    (handle as unknown as Record<string, (...params: unknown[]) => Promise<unknown>>)[method] = (...params) => call(method, params);
  }
  return handle;
}
