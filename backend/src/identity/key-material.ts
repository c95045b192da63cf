import { createHash, createPublicKey } from 'node:crypto';
import { ApiError } from '../common/api-error.js';
import { AES_GCM_IV_BYTES, PROTOCOL_VERSION, RSA_MODULUS_BITS, type FieldError } from '@phr/shared-types';

/** A sealed blob: version byte, IV, then at least the 16-byte GCM tag. */
const MIN_SEALED_BYTES = 1 + AES_GCM_IV_BYTES + 16;

/**
 * The server cannot open key blobs, but it refuses ones that cannot be
 * right: an unknown protocol version, a blob too short to hold a tag, a public
 * key that is not RSA of 3072 bits with the exponent 65537.
 */
export function checkSealedBlob(field: string, blob: string): FieldError | null {
  const bytes = Buffer.from(blob, 'base64url');
  if (bytes.length < MIN_SEALED_BYTES) return { field, message: `${field} is too short to be a sealed key` };
  if (bytes[0] !== PROTOCOL_VERSION) return { field, message: `${field} has an unknown protocol version` };
  return null;
}

export function checkRsaPublicKey(field: string, spkiBase64Url: string): FieldError | null {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiBase64Url, 'base64url'), format: 'der', type: 'spki' });
    const details = key.asymmetricKeyDetails;
    if (key.asymmetricKeyType !== 'rsa' || details?.modulusLength !== RSA_MODULUS_BITS || details.publicExponent !== 65537n) {
      return { field, message: `${field} must be an RSA key of ${RSA_MODULUS_BITS} bits with the exponent 65537 (the wraps made for it are ${RSA_MODULUS_BITS / 8} bytes)` };
    }
    return null;
  } catch {
    return { field, message: `${field} is not a valid SPKI public key` };
  }
}

/** DESIGN 4.5: SHA-256 of the SPKI bytes, lowercase hex (the portal computes the same). */
export function fingerprintOf(spkiBase64Url: string): string {
  return createHash('sha256').update(Buffer.from(spkiBase64Url, 'base64url')).digest('hex');
}

/** Constant-length byte decoding of a fixed-size base64url value. */
export function byteLengthOf(value: string): number {
  return Buffer.from(value, 'base64url').length;
}

/** Refuses the request with a 400 naming every field whose key material cannot be right. */
export function assertKeyMaterial(checks: Array<FieldError | null>): void {
  const problems = checks.filter((problem): problem is FieldError => problem !== null);
  if (problems.length) throw ApiError.validation(problems);
}
