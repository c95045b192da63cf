/**
 * The browser's sealed memory across devices (docs/protocol.md "Client state"):
 * one opaque blob per account, sealed by the browser, which the server stores
 * and returns but never reads. Writes are compare-and-set on a version number,
 * so two devices never overwrite each other unseen.
 */
import type { Base64Url } from './common.js';

/** Largest sealed blob the API keeps, in bytes (before base64url). */
export const CLIENT_STATE_MAX_BYTES = 256 * 1024;

/** GET /me/client-state: version 0 and sealed null until the first write. */
export interface ClientState {
  version: number;
  sealed: Base64Url | null;
}

/** PUT /me/client-state: replaces the blob if the stored version is still `expectedVersion` (else 409). */
export interface PutClientStateRequest {
  expectedVersion: number;
  sealed: Base64Url;
}

/** The version the write made: expectedVersion + 1. */
export interface ClientStateVersion {
  version: number;
}
