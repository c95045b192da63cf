/**
 * The page's handle on the crypto worker: typed calls, answers matched by
 * request id. The page never receives a key, only what it sends to the API.
 */
import { vaultMethods, type Vault, type VaultEvent, type VaultMethodName, type VaultRequest, type VaultResponse } from './vault-protocol.js';

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
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; listener?: (event: unknown) => void }>();
  let nextId = 1;

  worker.onmessage = (event: MessageEvent<VaultResponse | VaultEvent>) => {
    const message = event.data;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    if ('event' in message) {
      waiter.listener?.(message.event);
      return;
    }
    const response = message;
    pending.delete(response.id);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(new VaultError(response.error.code, response.error.message));
  };
  worker.onerror = () => {
    for (const waiter of pending.values()) waiter.reject(new VaultError('WORKER_FAILED', 'The crypto worker stopped'));
    pending.clear();
  };

  // A function as the last parameter listens to the request's progress events; functions cannot cross to the worker.
  const call = (method: VaultMethodName, params: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const listener = typeof params.at(-1) === 'function' ? (params.at(-1) as (event: unknown) => void) : undefined;
      const sent = listener ? params.slice(0, -1) : params;
      pending.set(id, { resolve, reject, listener });
      const request: VaultRequest = { id, method, params: sent, events: listener !== undefined };
      worker.postMessage(request);
    });

  const handle = { terminate: () => worker.terminate() } as VaultHandle;
  for (const method of Object.keys(vaultMethods) as VaultMethodName[]) {
    (handle as unknown as Record<string, (...params: unknown[]) => Promise<unknown>>)[method] = (...params) => call(method, params);
  }
  return handle;
}
