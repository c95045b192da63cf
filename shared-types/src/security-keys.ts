/**
 * Security keys: an optional WebAuthn second factor (FIDO2 security keys and
 * platform authenticators; ASVS 2.3.2). The shapes follow the WebAuthn JSON
 * serialisation (binary fields base64url), limited to what the API uses.
 */
import type { Base64Url, IsoDateTime, Uuid } from './common.js';
import type { SessionResponse } from './auth.js';

/** A name the account holder gives a key, to tell their keys apart. */
export const SECURITY_KEY_NAME_MAX_LENGTH = 64;

/** How long a challenge may be answered; each is used once. */
export const WEBAUTHN_CHALLENGE_SECONDS = 120;

/**
 * COSE algorithms accepted: ES256 (every FIDO2 key) and EdDSA (Ed25519). Not RS256: it is
 * RSASSA-PKCS#1 v1.5, which ASVS 5.0 Appendix C disallows, usually over RSA-2048 (112 bits).
 */
export const WEBAUTHN_ALGORITHMS = [-7, -8] as const;

export type AuthenticatorTransport = 'usb' | 'nfc' | 'ble' | 'internal' | 'hybrid';
export const AUTHENTICATOR_TRANSPORTS: readonly AuthenticatorTransport[] = ['usb', 'nfc', 'ble', 'internal', 'hybrid'];

export interface CredentialDescriptor {
  type: 'public-key';
  id: Base64Url;
  transports?: AuthenticatorTransport[];
}

/** What navigator.credentials.create() takes (publicKey), with binary fields in base64url. */
export interface SecurityKeyCreationOptions {
  challenge: Base64Url;
  rp: { id: string; name: string };
  user: { id: Base64Url; name: string; displayName: string };
  pubKeyCredParams: Array<{ type: 'public-key'; alg: number }>;
  timeout: number;
  excludeCredentials: CredentialDescriptor[];
  authenticatorSelection: { residentKey: 'discouraged'; userVerification: 'preferred' };
  attestation: 'none';
}

/** What navigator.credentials.get() takes (publicKey), with binary fields in base64url. */
export interface SecurityKeyRequestOptions {
  challenge: Base64Url;
  rpId: string;
  timeout: number;
  allowCredentials: CredentialDescriptor[];
  userVerification: 'preferred';
}

/** A new credential (PublicKeyCredential with an attestation response), as the browser made it. */
export interface RegistrationCredential {
  id: Base64Url;
  rawId: Base64Url;
  type: 'public-key';
  response: { clientDataJSON: Base64Url; attestationObject: Base64Url; transports?: AuthenticatorTransport[] };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/** An assertion (PublicKeyCredential with an assertion response), as the browser made it. */
export interface AssertionCredential {
  id: Base64Url;
  rawId: Base64Url;
  type: 'public-key';
  response: { clientDataJSON: Base64Url; authenticatorData: Base64Url; signature: Base64Url; userHandle?: Base64Url };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/** POST /account/security-keys/options: an enrolment starts with the name of the key. */
export interface SecurityKeyOptionsRequest {
  name: string;
}

/** The challenge of an enrolment. */
export interface SecurityKeyEnrolment {
  /** Names this enrolment when the credential comes back; single use. */
  challengeToken: string;
  options: SecurityKeyCreationOptions;
}

/** POST /account/security-keys */
export interface AddSecurityKeyRequest {
  challengeToken: string;
  credential: RegistrationCredential;
}

export interface SecurityKey {
  id: Uuid;
  name: string;
  createdAt: IsoDateTime;
  lastUsedAt: IsoDateTime | null;
}

/** GET /account/security-keys */
export interface SecurityKeyList {
  keys: SecurityKey[];
}

/** POST /account/security-keys/:id/remove: re-authentication, as for a password change. */
export interface RemoveSecurityKeyRequest {
  currentAuthKey: Base64Url;
}

/**
 * POST /auth/login for an account with a second factor: the password was right, a factor must
 * answer next. With a security key, its challenge (and `acceptsTotp` when an authenticator app is
 * enrolled too: the same token then also goes to POST /auth/login/totp); with only an app, the token.
 */
export type SecondFactorChallenge = SecurityKeyChallenge | TotpChallenge;

export interface SecurityKeyChallenge {
  secondFactor: 'webauthn';
  challengeToken: string;
  options: SecurityKeyRequestOptions;
  acceptsTotp: boolean;
}

export interface TotpChallenge {
  secondFactor: 'totp';
  challengeToken: string;
}

/** POST /auth/login: a session, or (with a second factor enrolled) its challenge. */
export type LoginResponse = SessionResponse | SecondFactorChallenge;

/** POST /auth/login/webauthn */
export interface WebAuthnLoginRequest {
  challengeToken: string;
  credential: AssertionCredential;
}

export function isSecondFactorChallenge(response: LoginResponse): response is SecondFactorChallenge {
  return 'secondFactor' in response;
}
