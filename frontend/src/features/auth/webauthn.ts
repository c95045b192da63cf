/**
 * The browser's side of WebAuthn (ASVS 2.3.2): the API's options (binary
 * fields base64url) become navigator.credentials calls, and the credential
 * the authenticator returns becomes JSON for the API.
 */
import {
  AUTHENTICATOR_TRANSPORTS,
  type AssertionCredential,
  type AuthenticatorTransport,
  type CredentialDescriptor,
  type RegistrationCredential,
  type SecurityKeyCreationOptions,
  type SecurityKeyRequestOptions,
} from '@phr/shared-types';

/** The authenticator gave no answer: none present, the person cancelled, or the time ran out. */
export class SecurityKeyUnavailable extends Error {}

export function isWebAuthnAvailable(): boolean {
  return typeof window !== 'undefined' && 'PublicKeyCredential' in window && typeof navigator.credentials?.create === 'function';
}

/** navigator.credentials.create() for an enrolment. */
export async function createSecurityKeyCredential(options: SecurityKeyCreationOptions, signal?: AbortSignal): Promise<RegistrationCredential> {
  const credential = await ask(() =>
    navigator.credentials.create({
      signal,
      publicKey: {
        ...options,
        challenge: fromBase64Url(options.challenge),
        user: { ...options.user, id: fromBase64Url(options.user.id) },
        excludeCredentials: options.excludeCredentials.map(toDescriptor),
      },
    }),
  );
  const response = credential.response as AuthenticatorAttestationResponse;
  return {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: toBase64Url(response.clientDataJSON),
      attestationObject: toBase64Url(response.attestationObject),
      transports: knownTransports(response.getTransports?.() ?? []),
    },
    clientExtensionResults: {},
    ...attachmentOf(credential),
  };
}

/** navigator.credentials.get() for the second step of a sign-in. */
export async function getSecurityKeyAssertion(options: SecurityKeyRequestOptions, signal?: AbortSignal): Promise<AssertionCredential> {
  const credential = await ask(() =>
    navigator.credentials.get({
      signal,
      publicKey: { ...options, challenge: fromBase64Url(options.challenge), allowCredentials: options.allowCredentials.map(toDescriptor) },
    }),
  );
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: toBase64Url(response.clientDataJSON),
      authenticatorData: toBase64Url(response.authenticatorData),
      signature: toBase64Url(response.signature),
      ...(response.userHandle ? { userHandle: toBase64Url(response.userHandle) } : {}),
    },
    clientExtensionResults: {},
    ...attachmentOf(credential),
  };
}

async function ask(request: () => Promise<Credential | null>): Promise<PublicKeyCredential> {
  if (!isWebAuthnAvailable()) throw new SecurityKeyUnavailable('This browser cannot use security keys.');
  let credential: Credential | null;
  try {
    credential = await request();
  } catch (error) {
    // NotAllowedError (cancelled, timed out, no key) and AbortError (our own cancel) say the same to the person.
    if (error instanceof DOMException) throw new SecurityKeyUnavailable('The security key did not answer.');
    throw error;
  }
  if (!credential || credential.type !== 'public-key') throw new SecurityKeyUnavailable('The security key did not answer.');
  return credential as PublicKeyCredential;
}

const TRANSPORTS: readonly string[] = AUTHENTICATOR_TRANSPORTS;

function knownTransports(transports: string[]): AuthenticatorTransport[] {
  return transports.filter((transport): transport is AuthenticatorTransport => TRANSPORTS.includes(transport));
}

function attachmentOf(credential: PublicKeyCredential): { authenticatorAttachment?: 'platform' | 'cross-platform' } {
  const attachment = credential.authenticatorAttachment;
  return attachment === 'platform' || attachment === 'cross-platform' ? { authenticatorAttachment: attachment } : {};
}

function toDescriptor(descriptor: CredentialDescriptor): PublicKeyCredentialDescriptor {
  return { type: 'public-key', id: fromBase64Url(descriptor.id), transports: descriptor.transports };
}

function fromBase64Url(value: string): ArrayBuffer {
  const base64 = value.replaceAll('-', '+').replaceAll('_', '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}

function toBase64Url(buffer: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  // eslint-disable-next-line sonarjs/super-linear-regex -- btoa output ends in at most two '=' and has none elsewhere
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
