/**
 * Accounts (DESIGN 4.1, 4.2): the account key, the key pair and the recovery
 * wrap are made here, and opened again at sign-in. Unwrapped keys leave these
 * functions only as non-extractable CryptoKeys.
 */
import {
  KDF_MIN_ITERATIONS,
  RSA_MODULUS_BITS,
  type AccountKeyMaterial,
  type ChangePasswordRequest,
  type KdfParams,
  type MyKeys,
  type RecoveryMaterial,
  type RecoveryResetRequest,
} from '@phr/shared-types';
import { fromBase64Url, randomBytes, toBase64Url } from './encoding.js';
import { CryptoError } from './errors.js';
import { fingerprintHex } from './fingerprint.js';
import { accountKeyAad, BROWSER_KDF_POLICY, derivePasswordKeys, newKdfParams, type KdfPolicy } from './kdf.js';
import { deriveRecoveryKeys, newRecoveryCode, parseRecoveryCode, RECOVERY_WRAP_AAD } from './recovery-code.js';
import { open, seal } from './sealed.js';

export const PRIVATE_KEY_AAD = 'phr/v1/private-key';
const RSA_OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;
const AES_GCM = { name: 'AES-GCM', length: 256 } as const;

export interface UnlockedKeys {
  accountKey: CryptoKey;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface NewAccount {
  authKey: string;
  kdf: KdfParams;
  keys: AccountKeyMaterial;
  recovery: RecoveryMaterial;
  /** Shown once to the user, never stored. */
  recoveryCode: string;
  fingerprint: string;
  unlocked: UnlockedKeys;
}

export interface AccountOptions {
  iterations?: number;
  policy?: KdfPolicy;
}

export async function createAccount(password: string, options: AccountOptions = {}): Promise<NewAccount> {
  const kdf = newKdfParams(options.iterations ?? KDF_MIN_ITERATIONS);
  const [{ authKey, kek }, keyPair] = await Promise.all([
    derivePasswordKeys(password, kdf, options.policy),
    crypto.subtle.generateKey(
      { ...RSA_OAEP, modulusLength: RSA_MODULUS_BITS, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    ),
  ]);
  // Extractable only for this function: it is sealed twice, then re-imported non-extractable.
  const rawAccountKey = crypto.getRandomValues(new Uint8Array(32));
  const accountKey = await importAccountKey(rawAccountKey);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keyPair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keyPair.privateKey));
  const recoveryCode = newRecoveryCode();
  const { recoveryAuthKey, recoveryKek } = await deriveRecoveryKeys(recoveryCode.bytes);

  const keys: AccountKeyMaterial = {
    wrappedAccountKey: await seal(kek, rawAccountKey, accountKeyAad(kdf)),
    publicKey: toBase64Url(spki),
    wrappedPrivateKey: await seal(accountKey, pkcs8, PRIVATE_KEY_AAD),
  };
  const recovery: RecoveryMaterial = {
    recoveryAuthKey,
    recoveryWrappedAccountKey: await seal(recoveryKek, rawAccountKey, RECOVERY_WRAP_AAD),
  };
  rawAccountKey.fill(0);
  pkcs8.fill(0);
  return {
    authKey,
    kdf,
    keys,
    recovery,
    recoveryCode: recoveryCode.code,
    fingerprint: await fingerprintHex(spki),
    unlocked: { accountKey, privateKey: await importPrivateKeyFrom(keyPair.privateKey), publicKey: keyPair.publicKey },
  };
}

/** After sign-in: opens the account key with the KEK, then the private key with the account key. */
export async function unlockKeys(kek: CryptoKey, keys: Pick<MyKeys, 'kdf' | 'wrappedAccountKey' | 'wrappedPrivateKey' | 'publicKey'>): Promise<UnlockedKeys> {
  const rawAccountKey = await open(kek, keys.wrappedAccountKey, accountKeyAad(keys.kdf));
  const accountKey = await importAccountKey(rawAccountKey);
  rawAccountKey.fill(0);
  const pkcs8 = await open(accountKey, keys.wrappedPrivateKey, PRIVATE_KEY_AAD);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, RSA_OAEP, false, ['decrypt', 'unwrapKey']);
  pkcs8.fill(0);
  const publicKey = await servedPublicKeyOf(privateKey, keys.publicKey);
  return { accountKey, privateKey, publicKey };
}

/**
 * DESIGN 4.5: the public key the server serves for the account must belong to
 * the private key just unwrapped, or the fingerprint shown for it, and every
 * wrap others make for it, would be for someone else's key. A random value
 * sealed with the served key must open with the private key.
 */
async function servedPublicKeyOf(privateKey: CryptoKey, served: string): Promise<CryptoKey> {
  const refuse = () => new CryptoError('OWN_KEY_MISMATCH', 'The public key the server holds for this account is not the key of your private key');
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey('spki', fromBase64Url(served), RSA_OAEP, true, ['encrypt', 'wrapKey']);
  } catch {
    throw refuse();
  }
  const probe = randomBytes(32);
  const opened = await crypto.subtle
    .encrypt(RSA_OAEP, publicKey, probe)
    .then((sealed) => crypto.subtle.decrypt(RSA_OAEP, privateKey, sealed))
    .then((bytes) => new Uint8Array(bytes))
    .catch(() => null);
  if (opened === null || opened.length !== probe.length || opened.some((byte, i) => byte !== probe[i])) throw refuse();
  return publicKey;
}

/** A key pair made to replace the account's own (docs/protocol.md "Key-pair rotation"): what the API stores, and the keys to use once it did. */
export interface NewKeyPair {
  /** SPKI DER, base64url. */
  publicKey: string;
  /** The PKCS#8 private key sealed under the unchanged account key, AAD "phr/v1/private-key". */
  wrappedPrivateKey: string;
  fingerprint: string;
  keys: Pick<UnlockedKeys, 'privateKey' | 'publicKey'>;
}

/** Key-pair rotation: a new RSA-OAEP pair, the private half sealed under the account key and kept only as a non-extractable key. */
export async function newKeyPair(accountKey: CryptoKey): Promise<NewKeyPair> {
  const generated = await crypto.subtle.generateKey(
    { ...RSA_OAEP, modulusLength: RSA_MODULUS_BITS, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', generated.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', generated.privateKey));
  try {
    return {
      publicKey: toBase64Url(spki),
      wrappedPrivateKey: await seal(accountKey, pkcs8, PRIVATE_KEY_AAD),
      fingerprint: await fingerprintHex(spki),
      keys: { privateKey: await importPrivateKeyFrom(generated.privateKey), publicKey: generated.publicKey },
    };
  } finally {
    pkcs8.fill(0);
  }
}

/** The fingerprint of the account's own public key, from the key proven against the private key (never the server's field). */
export async function ownFingerprint(keys: Pick<UnlockedKeys, 'publicKey'>): Promise<string> {
  return fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)));
}

/**
 * DESIGN 4.2: a new password re-wraps the account key and nothing else. The
 * current password is asked again; its KEK opens the account key for the
 * moment it takes to seal it under the new one.
 */
export async function rewrapForNewPassword(
  current: { password: string; kdf: KdfParams; wrappedAccountKey: string },
  newPassword: string,
  options: AccountOptions = {},
): Promise<ChangePasswordRequest> {
  const { authKey: currentAuthKey, kek: currentKek } = await derivePasswordKeys(current.password, current.kdf, options.policy);
  const rawAccountKey = await open(currentKek, current.wrappedAccountKey, accountKeyAad(current.kdf));
  const newKdf = newKdfParams(options.iterations ?? Math.max(current.kdf.iterations, KDF_MIN_ITERATIONS));
  const { authKey: newAuthKey, kek: newKek } = await derivePasswordKeys(newPassword, newKdf, options.policy);
  const newWrappedAccountKey = await seal(newKek, rawAccountKey, accountKeyAad(newKdf));
  rawAccountKey.fill(0);
  return { currentAuthKey, newAuthKey, newKdf, newWrappedAccountKey };
}

export async function recoveryAuthKeyFromCode(code: string): Promise<string> {
  return (await deriveRecoveryKeys(parseRecoveryCode(code))).recoveryAuthKey;
}

export type RecoveryReset = Omit<RecoveryResetRequest, 'email' | 'recoveryAuthKey'>;

export interface RecoveredAccount {
  reset: RecoveryReset;
  /** Shown once; the used code no longer works after the reset. */
  newRecoveryCode: string;
  /** The new password's KEK, to open the keys the server returns after the reset. */
  kek: CryptoKey;
}

/** Recovery: the code opens the account key, which is sealed under a new password and a new code. */
export async function recoverAccount(code: string, recoveryWrappedAccountKey: string, newPassword: string, options: AccountOptions = {}): Promise<RecoveredAccount> {
  const { recoveryKek } = await deriveRecoveryKeys(parseRecoveryCode(code));
  const rawAccountKey = await open(recoveryKek, recoveryWrappedAccountKey, RECOVERY_WRAP_AAD);
  const newKdf = newKdfParams(options.iterations ?? KDF_MIN_ITERATIONS);
  const { authKey: newAuthKey, kek } = await derivePasswordKeys(newPassword, newKdf, options.policy);
  const next = newRecoveryCode();
  const nextKeys = await deriveRecoveryKeys(next.bytes);
  const result: RecoveredAccount = {
    reset: {
      newAuthKey,
      newKdf,
      newWrappedAccountKey: await seal(kek, rawAccountKey, accountKeyAad(newKdf)),
      newRecovery: {
        recoveryAuthKey: nextKeys.recoveryAuthKey,
        recoveryWrappedAccountKey: await seal(nextKeys.recoveryKek, rawAccountKey, RECOVERY_WRAP_AAD),
      },
    },
    newRecoveryCode: next.code,
    kek,
  };
  rawAccountKey.fill(0);
  return result;
}

function importAccountKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, AES_GCM, false, ['encrypt', 'decrypt']);
}

/** Re-imports a freshly generated private key as non-extractable. */
async function importPrivateKeyFrom(generated: CryptoKey): Promise<CryptoKey> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', generated));
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, RSA_OAEP, false, ['decrypt', 'unwrapKey']);
  pkcs8.fill(0);
  return key;
}

export { BROWSER_KDF_POLICY };
