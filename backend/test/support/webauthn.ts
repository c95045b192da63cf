/**
 * A software FIDO2 authenticator for the API suites: an EC P-256 key per
 * credential (node:crypto), "none" attestation, and the authenticator data,
 * clientDataJSON and CBOR built by hand (WebAuthn §6.1, §6.5, §5.8.1), so the
 * tests send the bytes a real browser and key would, and can bend any of them.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  ROUTES,
  type AssertionCredential,
  type RegistrationCredential,
  type SecurityKeyChallenge,
  type SecurityKey,
  type SecurityKeyCreationOptions,
  type SecurityKeyRequestOptions,
  type SessionResponse,
} from '@phr/shared-types';
import type { RegisteredUser } from './factories.js';
import { testClient, type TestClient, TEST_PORTAL_ORIGIN, type RouteResult } from './http.js';

type Cbor = number | string | Buffer | Cbor[] | Map<number | string, Cbor>;

/** Deterministic-enough CBOR (RFC 8949) for the values an authenticator emits. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const bytes = Buffer.alloc(5);
  bytes[0] = (major << 5) | 26;
  bytes.writeUInt32BE(length, 1);
  return bytes;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL = 0x40;

interface StoredCredential {
  privateKey: KeyObject;
  signCount: number;
}

/** What a test may bend in a ceremony. */
export interface Bend {
  origin?: string;
  rpId?: string;
  /** Sign a challenge other than the one the options carry. */
  challenge?: string;
  /** The counter to report (and keep); by default the last one plus one. */
  signCount?: number;
  /** Sign with another credential's key than the one named. */
  signWith?: KeyObject;
  /** Make an RS256 credential (RSASSA-PKCS#1 v1.5, RSA-2048), as some platform authenticators do, instead of ES256. */
  rs256?: boolean;
}

export class SoftAuthenticator {
  private readonly credentials = new Map<string, StoredCredential>();

  /** navigator.credentials.create() */
  create(options: SecurityKeyCreationOptions, bend: Bend = {}): RegistrationCredential {
    const credentialId = randomBytes(32);
    const { privateKey, publicKey } = bend.rs256 ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = bend.rs256
      ? new Map<number, Cbor>([
          [1, 3], // kty: RSA
          [3, -257], // alg: RS256
          [-1, Buffer.from(jwk.n as string, 'base64url')],
          [-2, Buffer.from(jwk.e as string, 'base64url')],
        ])
      : new Map<number, Cbor>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, Buffer.from(jwk.x as string, 'base64url')],
          [-3, Buffer.from(jwk.y as string, 'base64url')],
        ]);
    const signCount = bend.signCount ?? 0;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      this.authDataHead(bend.rpId ?? options.rp.id, FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_CREDENTIAL, signCount),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credentialId,
      cbor(coseKey),
    ]);
    const attestationObject = cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const id = credentialId.toString('base64url');
    this.credentials.set(id, { privateKey, signCount });
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData('webauthn.create', bend.challenge ?? options.challenge, bend.origin ?? TEST_PORTAL_ORIGIN),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['usb'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }

  /** navigator.credentials.get(): answers with the first allowed credential it holds, or the one named. */
  get(options: SecurityKeyRequestOptions, bend: Bend & { credentialId?: string } = {}): AssertionCredential {
    const id = bend.credentialId ?? options.allowCredentials.map((descriptor) => descriptor.id).find((candidate) => this.credentials.has(candidate));
    const stored = id ? this.credentials.get(id) : undefined;
    if (!id || !stored) throw new Error('this authenticator holds none of the allowed credentials');
    stored.signCount = bend.signCount ?? stored.signCount + 1;
    const authenticatorData = this.authDataHead(bend.rpId ?? options.rpId, FLAG_USER_PRESENT | FLAG_USER_VERIFIED, stored.signCount);
    const clientDataJSON = clientData('webauthn.get', bend.challenge ?? options.challenge, bend.origin ?? TEST_PORTAL_ORIGIN);
    const signed = Buffer.concat([authenticatorData, createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest()]);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: authenticatorData.toString('base64url'),
        signature: sign('sha256', signed, bend.signWith ?? stored.privateKey).toString('base64url'),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }

  /** A credential's private key, to forge signatures with it elsewhere. */
  privateKeyOf(credentialId: string): KeyObject {
    const stored = this.credentials.get(credentialId);
    if (!stored) throw new Error('unknown credential');
    return stored.privateKey;
  }

  private authDataHead(rpId: string, flags: number, signCount: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counter]);
  }
}

function clientData(type: string, challenge: string, origin: string): string {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })).toString('base64url');
}

/** Enrols a new credential of `authenticator` as a security key of `user`, through the API. */
export async function enrolSecurityKey(user: RegisteredUser, authenticator: SoftAuthenticator, name = 'Test key'): Promise<SecurityKey> {
  const enrolment = await user.client.send(ROUTES.securityKeyOptions, { token: user.token, body: { name } });
  if (enrolment.status !== 200) throw new Error(`enrolment options failed: ${enrolment.status} ${enrolment.text}`);
  const added = await user.client.send(ROUTES.addSecurityKey, {
    token: user.token,
    body: { challengeToken: enrolment.body.challengeToken, credential: authenticator.create(enrolment.body.options) },
  });
  if (added.status !== 201) throw new Error(`enrolment failed: ${added.status} ${added.text}`);
  return added.body;
}

/** The password step of a sign-in for an account with a security key: its challenge. */
export async function passwordStep(http: TestClient, user: RegisteredUser): Promise<SecurityKeyChallenge> {
  const response = await http.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
  if (response.status !== 200 || !('options' in response.body)) throw new Error(`expected a second-factor challenge: ${response.status} ${response.text}`);
  return response.body;
}

/** Both steps, the second one answered by `authenticator`. */
export async function signInWithSecurityKey(baseUrl: string, user: RegisteredUser, authenticator: SoftAuthenticator): Promise<RouteResult<SessionResponse>> {
  const http = testClient(baseUrl);
  const challenge = await passwordStep(http, user);
  return http.send(ROUTES.loginWebAuthn, {
    body: { challengeToken: challenge.challengeToken, credential: authenticator.get(challenge.options) },
  });
}
