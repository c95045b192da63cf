/**
 * Protocol constants shared by the portal (which does all cryptography) and the
 * API (which checks shapes and floors). DESIGN.md section 4.
 */

/** Version byte that starts every sealed blob (DESIGN 4: every stored blob carries its version). */
export const PROTOCOL_VERSION = 1;

/** DESIGN 4.1: PBKDF2-HMAC-SHA256 with a 16-byte random salt and at least 600 000 iterations (OWASP 2023). */
export const KDF_ALGORITHM = 'PBKDF2-SHA256' as const;
export const KDF_MIN_ITERATIONS = 600_000;
/** Ceiling the API accepts, so a client cannot make every later login of its account arbitrarily slow. */
export const KDF_MAX_ITERATIONS = 10_000_000;
export const KDF_SALT_BYTES = 16;

/** HKDF `info` labels that separate the keys derived from the master key (DESIGN 4.1). */
export const HKDF_INFO_AUTH = 'phr/v1/auth';
export const HKDF_INFO_KEK = 'phr/v1/kek';
export const HKDF_INFO_RECOVERY_AUTH = 'phr/v1/recovery-auth';
export const HKDF_INFO_RECOVERY_KEK = 'phr/v1/recovery-kek';

/** Bytes of the auth key the browser sends (never the password). */
export const AUTH_KEY_BYTES = 32;

/**
 * DESIGN 4.2: RSA-OAEP with SHA-256, 3072 bits, e = 65537: exactly, since every wrap made for a key
 * is as long as its modulus and the API takes wraps of 384 bytes only (DOCTOR_WRAP_BYTES).
 */
export const RSA_MODULUS_BITS = 3072;

/** AES-GCM nonce length used by every sealed blob. */
export const AES_GCM_IV_BYTES = 12;

/** Random bytes behind a recovery code (shown once at registration, DESIGN 4.2). */
export const RECOVERY_CODE_BYTES = 20;

/** Upper bounds on what the API stores for a key blob (base64url characters). */
export const MAX_WRAPPED_KEY_CHARS = 8_192;
export const MAX_PUBLIC_KEY_CHARS = 2_048;

/** Password length floor enforced by the portal (the server never sees the password). */
export const PASSWORD_MIN_LENGTH = 12;

/**
 * The privacy notice shown at registration (frontend PrivacyNotice.tsx). A
 * change of its text gets a new version; the API accepts only the current one.
 */
export const PRIVACY_NOTICE_VERSION = '2025-12-01';
/** zxcvbn score floor (0..4) enforced by the portal. */
export const PASSWORD_MIN_SCORE = 3;

/** DESIGN 8: access tokens live at most 15 minutes. */
export const ACCESS_TOKEN_MAX_SECONDS = 900;

/**
 * An auditor's API token (docs/protocol.md "API tokens"): an access token with the scope
 * API_TOKEN_SCOPE (GET and HEAD only) that lives this long, and cannot be refreshed.
 */
export const API_TOKEN_SECONDS = 3600;
export const API_TOKEN_SCOPE = 'read';

/**
 * The httpOnly cookie that carries the refresh token, wherever it is Secure (COOKIE_SECURE,
 * the default, also on http://localhost): `__Host-` makes the browser refuse it unless it is
 * Secure, host-only and at Path=/, so no sibling subdomain can plant or shadow it.
 */
export const HOST_REFRESH_COOKIE_NAME = '__Host-phr_refresh';
/** Its name where Secure is off (COOKIE_SECURE=false: the API tests' non-browser client). */
export const REFRESH_COOKIE_NAME = 'phr_refresh';
/** Path of the unprefixed cookie: only the session routes ever receive it. */
export const REFRESH_COOKIE_PATH = '/api/auth';

/**
 * The httpOnly cookie that marks a browser as a known device of the accounts
 * that signed in on it (docs/architecture.md "Sessions"): a known device skips
 * the proof of work that repeated failures on the account demand of others.
 * Named and scoped like the refresh cookie: `__Host-` where Secure, else
 * `phr_device` at REFRESH_COOKIE_PATH.
 */
export const HOST_DEVICE_COOKIE_NAME = '__Host-phr_device';
export const DEVICE_COOKIE_NAME = 'phr_device';

/** Prefix of every API route (the contract's paths are relative to it). */
export const API_PREFIX = '/api';
