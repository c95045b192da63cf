/**
 * The sealed blob: version byte, 12-byte random IV, AES-256-GCM ciphertext and
 * tag, base64url (docs/protocol.md). Every wrap of the protocol is one, each
 * with its own authenticated data.
 */
import { AES_GCM_IV_BYTES, PROTOCOL_VERSION } from '@phr/shared-types';
import { concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';

const TAG_BYTES = 16;

export async function seal(key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>, aad: string): Promise<string> {
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(aad) }, key, plaintext);
  return toBase64Url(concatBytes(Uint8Array.of(PROTOCOL_VERSION), iv, new Uint8Array(ciphertext)));
}

export async function open(key: CryptoKey, blob: string, aad: string): Promise<Uint8Array<ArrayBuffer>> {
  const { iv, ciphertext } = parseSealed(blob);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: utf8(aad) }, key, ciphertext));
  } catch {
    throw new CryptoError('DECRYPT_FAILED', 'The data could not be decrypted: wrong key, or it was changed');
  }
}

export function parseSealed(blob: string): { iv: Uint8Array<ArrayBuffer>; ciphertext: Uint8Array<ArrayBuffer> } {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fromBase64Url(blob);
  } catch {
    throw new CryptoError('MALFORMED_BLOB', 'The sealed value is not valid base64url');
  }
  if (bytes.length < 1 + AES_GCM_IV_BYTES + TAG_BYTES) throw new CryptoError('MALFORMED_BLOB', 'The sealed value is too short');
  if (bytes[0] !== PROTOCOL_VERSION) throw new CryptoError('UNSUPPORTED_VERSION', `Unsupported protocol version ${bytes[0]}`);
  return { iv: bytes.slice(1, 1 + AES_GCM_IV_BYTES), ciphertext: bytes.slice(1 + AES_GCM_IV_BYTES) };
}
