/**
 * The recovery code (DESIGN 4.2): random bytes shown once as Crockford base32
 * in groups of four. Typing is forgiving: any case, dashes and spaces, and the
 * look-alikes I/L → 1 and O → 0.
 */
import { AUTH_KEY_BYTES, HKDF_INFO_RECOVERY_AUTH, HKDF_INFO_RECOVERY_KEK, RECOVERY_CODE_BYTES } from '@phr/shared-types';
import { randomBytes, toBase64Url } from './encoding.js';
import { CryptoError } from './errors.js';
import { hkdfAesKey, hkdfBytes, importHkdfKey } from './kdf.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = Math.ceil((RECOVERY_CODE_BYTES * 8) / 5);

export function newRecoveryCode(): { code: string; bytes: Uint8Array<ArrayBuffer> } {
  const bytes = randomBytes(RECOVERY_CODE_BYTES);
  return { code: formatRecoveryCode(bytes), bytes };
}

export function formatRecoveryCode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)?.join('-') ?? '';
}

export function parseRecoveryCode(text: string): Uint8Array<ArrayBuffer> {
  const normalized = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (normalized.length !== CODE_CHARS || [...normalized].some((char) => !ALPHABET.includes(char))) {
    throw new CryptoError('BAD_RECOVERY_CODE', 'This is not a recovery code');
  }
  const bytes = new Uint8Array(RECOVERY_CODE_BYTES);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of normalized) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      if (index < bytes.length) bytes[index++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return bytes;
}

export interface RecoveryKeys {
  /** base64url; sent to prove the code. */
  recoveryAuthKey: string;
  recoveryKek: CryptoKey;
}

export async function deriveRecoveryKeys(codeBytes: Uint8Array<ArrayBuffer>): Promise<RecoveryKeys> {
  const base = await importHkdfKey(codeBytes);
  const [auth, recoveryKek] = await Promise.all([hkdfBytes(base, HKDF_INFO_RECOVERY_AUTH, AUTH_KEY_BYTES), hkdfAesKey(base, HKDF_INFO_RECOVERY_KEK)]);
  return { recoveryAuthKey: toBase64Url(auth), recoveryKek };
}

export const RECOVERY_WRAP_AAD = 'phr/v1/recovery-account-key';
