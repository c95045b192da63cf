/** Accounts, keys and sessions (DESIGN 4.1, 4.2, 8). */
import type { PendingKeyRotation } from './key-rotation.js';
import type { ClinicianStanding } from './clinicians.js';
import type { Base64Url, IsoDateTime, Role, SelfRegisteringRole, Uuid } from './common.js';
import type { KDF_ALGORITHM } from './protocol.js';
import type { ProofOfWorkSolution } from './proof-of-work.js';

/** Parameters of the password KDF. `salt` is 16 bytes, base64url. */
export interface KdfParams {
  algorithm: typeof KDF_ALGORITHM;
  iterations: number;
  salt: Base64Url;
}

/** POST /auth/prelogin: the email travels in the body, never in a URL (ASVS 8.3.1). */
export interface PreloginRequest {
  email: string;
}
export interface PreloginResponse {
  kdf: KdfParams;
}

/**
 * What the browser makes at registration (DESIGN 4.2). Every wrapped value is a
 * sealed blob: version byte, 12-byte IV, AES-GCM ciphertext and tag, base64url.
 */
export interface AccountKeyMaterial {
  /** Sealed blob: the account key under the KEK, AAD "phr/v1/account-key|<algorithm>|<iterations>|<salt>" (docs/protocol.md). */
  wrappedAccountKey: Base64Url;
  /** RSA-OAEP public key, SPKI DER. */
  publicKey: Base64Url;
  /** Sealed blob: the PKCS#8 private key under the account key, AAD "phr/v1/private-key". */
  wrappedPrivateKey: Base64Url;
}

/** The second wrap of the account key, under a key derived from the recovery code. */
export interface RecoveryMaterial {
  /** HKDF-SHA256(recovery code bytes, info "phr/v1/recovery-auth"), 32 bytes; the server stores only argon2id of it. */
  recoveryAuthKey: Base64Url;
  /** Sealed blob: the account key under the recovery KEK, AAD "phr/v1/recovery-account-key". */
  recoveryWrappedAccountKey: Base64Url;
}

/**
 * POST /auth/register/start, the first step of a registration: proof that the
 * person owns the email. The answer is the same 202 whether or not the email
 * has an account; what differs is only the mail that address receives: a link
 * to finish registering, or, when it has an account, a warning that someone
 * tried (docs/protocol.md, "Registration").
 */
export interface StartRegistrationRequest {
  email: string;
  /** Which form the link opens (patient by default); the person may still change it there. */
  role?: SelfRegisteringRole;
}
export interface RegistrationStarted {
  /** How long a link sent by this request stays valid. */
  linkExpiresInSeconds: number;
}

/**
 * Where the registration link of the mail points: the portal's `/register`
 * page with the token, the email and the role in the fragment (never sent to
 * any server, so never in a log or a Referer).
 */
export const REGISTRATION_LINK_PATH = '/register';
export const REGISTRATION_TOKEN_BYTES = 32;

/** POST /auth/register: the second step, from the link of the mail. */
export interface RegisterRequest {
  /** The single-use token of the registration link, made for this email. */
  registrationToken: Base64Url;
  email: string;
  displayName: string;
  role: SelfRegisteringRole;
  /** A doctor's specialty, shown to patients who search for them. */
  specialty?: string;
  /**
   * A doctor's licence or registration number and organisation: required when
   * `role` is doctor, refused otherwise. The account waits for an operator's
   * approval before it can be found or receive a share (docs/protocol.md "Clinicians").
   */
  licence?: string;
  organisation?: string;
  /** HKDF-SHA256(masterKey, info "phr/v1/auth"), 32 bytes. The password itself never leaves the browser. */
  authKey: Base64Url;
  kdf: KdfParams;
  keys: AccountKeyMaterial;
  recovery: RecoveryMaterial;
  /**
   * The privacy notice the person read and accepted by ticking its box (GDPR
   * Art. 7(1)): must be the current PRIVACY_NOTICE_VERSION. Recorded in the
   * account's audit row.
   */
  privacyNoticeVersion: string;
}

/**
 * POST /auth/register-invited: redeem a one-time invitation. The invitation
 * says the role and the name: an auditor's or an operator's (made by the
 * operator's `create-auditor` / `create-operator` step), or a clinician's (made
 * by an operator in the API, POST /clinicians/invitations: the account is
 * approved from the start, with the licence and organisation the operator gave).
 */
export interface RegisterInvitedRequest extends Omit<RegisterRequest, 'registrationToken' | 'role' | 'specialty' | 'displayName' | 'licence' | 'organisation'> {
  invitation: string;
}

/** POST /auth/login */
export interface LoginRequest {
  email: string;
  authKey: Base64Url;
  /** Needed only when POST /auth/proof-of-work states a difficulty above 0 for this email and client. */
  proofOfWork?: ProofOfWorkSolution;
}

/** The signed-in user as the API describes them. */
export interface Me {
  id: Uuid;
  email: string;
  displayName: string;
  role: Role;
  /** A doctor's specialty, shown to patients who search for them; null for other roles or when none was given. */
  specialty: string | null;
  /** SHA-256 of the public key (SPKI), lowercase hex. */
  fingerprint: string;
  createdAt: IsoDateTime;
  /** A doctor's standing with the operators (pending, approved, refused, suspended); null for other roles. */
  clinician: ClinicianStanding | null;
}

/** Bounds of a display name and a doctor's specialty, trimmed (registration and PATCH /me). */
export const DISPLAY_NAME_MAX_LENGTH = 100;
export const SPECIALTY_MAX_LENGTH = 80;

/**
 * PATCH /me: correct one's own details (GDPR Art. 5(1)(d), Art. 16). At least one
 * field; `specialty` only for doctors. The email is the sign-in identifier and
 * cannot be changed here.
 */
export interface UpdateMeRequest {
  displayName?: string;
  specialty?: string;
}

/** The caller's own key blobs, to be unwrapped in the browser. */
export interface MyKeys {
  kdf: KdfParams;
  wrappedAccountKey: Base64Url;
  publicKey: Base64Url;
  wrappedPrivateKey: Base64Url;
  fingerprint: string;
  /** The generation of the account key in force (1 until the first rotation); new owner wraps and folder names are sealed under it. */
  keyGeneration: number;
  /** Only while an account-key rotation is under way: the new key's wraps. New owner wraps and folder names must then be sealed under the NEW key. */
  rotation?: PendingKeyRotation;
}

/** Answer of register, login and recovery: the refresh token travels only in the httpOnly cookie. */
export interface SessionResponse {
  accessToken: string;
  /** Seconds until the access token expires (at most 900). */
  expiresIn: number;
  user: Me;
  keys: MyKeys;
  /**
   * Present (true) when the account's role requires a second factor and it has none: the access
   * token may then only enrol one (SECOND_FACTOR_ENROLMENT_SCOPE); after the enrolment, a refresh
   * gives a full token.
   */
  mustEnrolSecondFactor?: true;
}

/** POST /auth/refresh (refresh token in the cookie, rotated on every use). */
export interface RefreshResponse {
  accessToken: string;
  expiresIn: number;
  /** As in SessionResponse: still no second factor on an account whose role requires one. */
  mustEnrolSecondFactor?: true;
}

/** POST /auth/password: the account key is re-wrapped under the new KEK and nothing else changes (DESIGN 4.2). */
export interface ChangePasswordRequest {
  currentAuthKey: Base64Url;
  newAuthKey: Base64Url;
  newKdf: KdfParams;
  newWrappedAccountKey: Base64Url;
}

/** POST /auth/recovery/keys: prove the recovery code, receive the recovery wrap of the account key. */
export interface RecoveryKeysRequest {
  email: string;
  recoveryAuthKey: Base64Url;
  /** As for sign-in, with purpose `recovery`. */
  proofOfWork?: ProofOfWorkSolution;
}
export interface RecoveryKeysResponse {
  recoveryWrappedAccountKey: Base64Url;
}

/**
 * POST /auth/recovery/reset: set a new password with the recovery code. The code is
 * single use: the request carries a fresh recovery wrap made with a new code.
 */
export interface RecoveryResetRequest {
  email: string;
  recoveryAuthKey: Base64Url;
  newAuthKey: Base64Url;
  newKdf: KdfParams;
  newWrappedAccountKey: Base64Url;
  newRecovery: RecoveryMaterial;
  /** As for sign-in, with purpose `recovery`. */
  proofOfWork?: ProofOfWorkSolution;
}

/** GET /users/:id/public-key */
export interface PublicKeyResponse {
  userId: Uuid;
  algorithm: 'RSA-OAEP-SHA256';
  publicKey: Base64Url;
  fingerprint: string;
}

/**
 * One signed-in browser: a refresh token family (DESIGN 8), from the password
 * sign-in to its latest refresh. No token value ever leaves the server.
 */
export interface ActiveSession {
  /** The family id; DELETE /sessions/:id ends it. */
  id: Uuid;
  /** The password sign-in (or registration, or recovery) that started it. */
  createdAt: IsoDateTime;
  /** The latest sign-in or refresh. */
  lastUsedAt: IsoDateTime;
  userAgent: string | null;
  ip: string | null;
  /** The session of the access token that asked. */
  isCurrent: boolean;
}

/** GET /sessions: the caller's active sessions, most recently used first. */
export interface SessionList {
  items: ActiveSession[];
}

/** An auditor's live API token (docs/protocol.md "API tokens"); never its value after it was issued. */
export interface ApiTokenSummary {
  /** The token's session id; DELETE /api-tokens/:id ends it. */
  id: Uuid;
  /** What the auditor named it for. */
  label: string;
  createdAt: IsoDateTime;
  expiresAt: IsoDateTime;
}

export const API_TOKEN_LABEL_MAX_LENGTH = 100;

/** POST /api-tokens */
export interface IssueApiTokenRequest {
  /** What the token is for ("Swagger UI", "nightly export script"): one line, shown in the list. */
  label: string;
}

/** POST /api-tokens: the token itself, shown once. */
export interface ApiTokenIssued extends ApiTokenSummary {
  /** A bearer token for GET and HEAD requests only (scope "read"). */
  accessToken: string;
  expiresIn: number;
}

/** GET /api-tokens: the caller's live API tokens, newest first. */
export interface ApiTokenList {
  items: ApiTokenSummary[];
}
