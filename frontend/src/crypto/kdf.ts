/**
 * DESIGN 4.1: one password, two derived keys. PBKDF2 gives the master key,
 * HKDF separates the auth key (sent to the server) from the KEK (kept).
 */
import {
  AUTH_KEY_BYTES,
  HKDF_INFO_AUTH,
  HKDF_INFO_KEK,
  KDF_ALGORITHM,
  KDF_MAX_ITERATIONS,
  KDF_MIN_ITERATIONS,
  KDF_SALT_BYTES,
  type KdfParams,
} from '@phr/shared-types';
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';

export interface KdfPolicy {
  /** The floor the browser insists on; tests of other properties may lower it. */
  minIterations: number;
}

export const BROWSER_KDF_POLICY: KdfPolicy = { minIterations: KDF_MIN_ITERATIONS };

export function newKdfParams(iterations: number = KDF_MIN_ITERATIONS): KdfParams {
  return { algorithm: KDF_ALGORITHM, iterations, salt: toBase64Url(randomBytes(KDF_SALT_BYTES)) };
}

/** Refuses parameters a lying server could hand out to make guessing cheaper. */
export function checkKdfParams(kdf: KdfParams, policy: KdfPolicy): Uint8Array<ArrayBuffer> {
  if (kdf.algorithm !== KDF_ALGORITHM) throw new CryptoError('WEAK_KDF_PARAMETERS', `Unsupported KDF ${String(kdf.algorithm)}`);
  if (!Number.isInteger(kdf.iterations) || kdf.iterations < policy.minIterations || kdf.iterations > KDF_MAX_ITERATIONS) {
    throw new CryptoError('WEAK_KDF_PARAMETERS', `KDF iterations ${kdf.iterations} are outside the accepted range`);
  }
  let salt: Uint8Array<ArrayBuffer>;
  try {
    salt = fromBase64Url(kdf.salt);
  } catch {
    throw new CryptoError('WEAK_KDF_PARAMETERS', 'KDF salt is not base64url');
  }
  if (salt.length !== KDF_SALT_BYTES) throw new CryptoError('WEAK_KDF_PARAMETERS', `KDF salt must be ${KDF_SALT_BYTES} bytes`);
  return salt;
}

/** PBKDF2-HMAC-SHA256 of the NFKC-normalised password, as a non-extractable HKDF base key. */
export async function deriveMasterKey(password: string, kdf: KdfParams, policy: KdfPolicy = BROWSER_KDF_POLICY): Promise<CryptoKey> {
  const salt = checkKdfParams(kdf, policy);
  // The bytes are zeroed once imported (WebCrypto copies them); the password string itself cannot be (ASVS 8.3.6).
  const passwordBytes = utf8(password.normalize('NFKC'));
  const passwordKey = await crypto.subtle.importKey('raw', passwordBytes, 'PBKDF2', false, ['deriveBits']).finally(() => passwordBytes.fill(0));
  const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: kdf.iterations }, passwordKey, 256));
  return importHkdfKey(bits).finally(() => bits.fill(0));
}

export function importHkdfKey(material: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', material, 'HKDF', false, ['deriveBits', 'deriveKey']);
}

export async function hkdfBytes(base: CryptoKey, info: string, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: utf8(info) }, base, length * 8);
  return new Uint8Array(bits);
}

export function hkdfAesKey(base: CryptoKey, info: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: utf8(info) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export interface PasswordKeys {
  /** base64url; what the browser sends instead of the password. */
  authKey: string;
  kek: CryptoKey;
}

export async function derivePasswordKeys(password: string, kdf: KdfParams, policy: KdfPolicy = BROWSER_KDF_POLICY): Promise<PasswordKeys> {
  const master = await deriveMasterKey(password, kdf, policy);
  const [authKey, kek] = await Promise.all([hkdfBytes(master, HKDF_INFO_AUTH, AUTH_KEY_BYTES), hkdfAesKey(master, HKDF_INFO_KEK)]);
  const encoded = toBase64Url(authKey);
  authKey.fill(0);
  return { authKey: encoded, kek };
}

/** The account-key wrap authenticates the KDF parameters (DESIGN 4.1). */
export function accountKeyAad(kdf: KdfParams): string {
  return `phr/v1/account-key|${kdf.algorithm}|${kdf.iterations}|${kdf.salt}`;
}
