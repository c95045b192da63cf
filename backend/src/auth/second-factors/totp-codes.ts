import { Secret, TOTP } from 'otpauth';
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_ISSUER, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS } from '@phr/shared-types';

/** How far off a refused code is looked for, only to say so in the audit trail. */
const DIAGNOSTIC_WINDOW_STEPS = 20;

/** A code checked against a secret: the RFC 6238 time step it belongs to, or why it was refused. */
export type CodeCheck = { step: number; refusal?: undefined } | { refusal: string; step?: undefined };

/** The RFC 6238 generator of a secret (the otpauth library: HMAC-SHA1, 6 digits, 30 s). */
export function totpOf(secret: Buffer, label = 'account'): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label, algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromHex(secret.toString('hex')) });
}

/**
 * Checks a code against the current step and TOTP_WINDOW_STEPS either side
 * (clock drift); the library compares in constant time. Whether the step was
 * used before is for the caller (the factor's last step), not this function.
 */
export function checkCode(secret: Buffer, code: string, now = Date.now()): CodeCheck {
  const totp = totpOf(secret);
  const delta = totp.validate({ token: code, timestamp: now, window: TOTP_WINDOW_STEPS });
  if (delta !== null) return { step: totp.counter({ timestamp: now }) + delta };
  const off = totp.validate({ token: code, timestamp: now, window: DIAGNOSTIC_WINDOW_STEPS });
  return { refusal: off === null ? 'wrong code' : `code of a time step ${Math.abs(off)} steps ${off < 0 ? 'ago' : 'ahead'} (expired or clock off)` };
}
