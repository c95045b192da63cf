/** Key-pair rotation (docs/protocol.md "Key-pair rotation"). */
import type { Base64Url } from './common.js';
import type { LoggedKeyBinding } from './key-directory.js';

/** POST /me/key-pair: a new RSA-OAEP key pair made in the browser; the old one is replaced. */
export interface RotateKeyPairRequest {
  /** The auth key of the current password (a grave step: re-authentication, as for a password change). */
  currentAuthKey: Base64Url;
  /** The new RSA-OAEP public key, SPKI DER. */
  publicKey: Base64Url;
  /** Sealed blob: the new PKCS#8 private key under the (unchanged) account key, AAD "phr/v1/private-key". */
  wrappedPrivateKey: Base64Url;
}

/** The new key's binding as the key directory logged it; the browser proves it from the directory itself. */
export interface RotateKeyPairResult {
  fingerprint: string;
  binding: LoggedKeyBinding;
}
