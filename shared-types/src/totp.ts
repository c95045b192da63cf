/**
 * Authenticator-app codes (TOTP, RFC 6238) as a second factor beside security
 * keys (ASVS 6.3.2), and the policy that requires a second factor of some
 * roles (docs/protocol.md "Second factors").
 */
import type { IsoDateTime } from './common.js';

/** RFC 6238 parameters every authenticator app understands: HMAC-SHA1, 6 digits, 30 s steps. */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_ALGORITHM = 'SHA1';
/** 160-bit secrets (RFC 4226 §4 recommends at least 160 bits). */
export const TOTP_SECRET_BYTES = 20;
/** Steps accepted either side of the server's current one (clock drift). */
export const TOTP_WINDOW_STEPS = 1;
/** The issuer an authenticator app shows beside the account. */
export const TOTP_ISSUER = 'Patient-held records';

/**
 * An access token of this scope belongs to a session that may only enrol a
 * second factor: the account's role requires one and it has none yet
 * (REQUIRE_SECOND_FACTOR_ROLES). Every other route answers 403 SECOND_FACTOR_REQUIRED.
 */
export const SECOND_FACTOR_ENROLMENT_SCOPE = 'enrol-second-factor';

/** POST /account/totp: a new secret, not active until confirmed with a code. */
export interface TotpEnrolment {
  /** The secret in base32 (RFC 4648, no padding), for typing into an app. */
  secret: string;
  /** otpauth://totp/… with the secret, issuer and parameters, for a QR code or a link. */
  uri: string;
}

/** POST /account/totp/confirm and POST /auth/login/totp carry a code the app shows now. */
export interface TotpCodeRequest {
  code: string;
}

/** GET /account/totp */
export interface TotpStatus {
  /** Confirmed: sign-in asks for a code. */
  isActive: boolean;
  confirmedAt: IsoDateTime | null;
  lastUsedAt: IsoDateTime | null;
}

/** POST /account/totp/remove: re-authentication, as for a security key. */
export interface RemoveTotpRequest {
  currentAuthKey: string;
}

/** POST /auth/login/totp: the second step of a sign-in, with the token POST /auth/login gave. */
export interface TotpLoginRequest {
  challengeToken: string;
  code: string;
}
