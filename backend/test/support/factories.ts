/**
 * Builds valid API inputs. The API cannot open key blobs, so API tests use
 * blobs of the right shape and a real RSA-3072 public key; the real protocol
 * is exercised by the crypto suite and the browser tests. Accounts are made
 * as people make them: start the registration, take the link's token from the
 * mail the API sent (a real SMTP server keeps it), then register.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import {
  AES_GCM_IV_BYTES,
  KDF_ALGORITHM,
  KDF_MIN_ITERATIONS,
  PRIVACY_NOTICE_VERSION,
  PROTOCOL_VERSION,
  REGISTRATION_TOKEN_BYTES,
  ROUTES,
  isSecondFactorChallenge,
  type LoginResponse,
  type RegisterRequest,
  type SelfRegisteringRole,
  type SessionResponse,
} from '@phr/shared-types';
import { registrationTokenIn, type Mailbox } from '@phr/infra/local/mail/mailbox.js';
import { createStaffInvitation, type StaffRole } from '../../src/cli/invitations.js';
import { testClient, type TestClient } from './http.js';

/**
 * What registering needs of an API: its address, the mailbox its mails land in, and the owner
 * URL of its database, with which the operator's command-line step invites the operator who
 * approves the doctors the tests register (docs/protocol.md "Clinicians").
 */
export interface RegistrationApi {
  baseUrl: string;
  mail: Mailbox;
  ownerUrl: string;
}

let cachedPublicKey: string | undefined;

/** One RSA-3072 key per test file: generating one takes a few hundred milliseconds. */
export function rsaPublicKey(): string {
  cachedPublicKey ??= generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
  return cachedPublicKey;
}

export function randomKey(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Shaped like a sealed blob: version byte, IV, ciphertext and tag. */
export function sealedBlob(plaintextBytes = 32): string {
  return Buffer.concat([Buffer.from([PROTOCOL_VERSION]), randomBytes(AES_GCM_IV_BYTES), randomBytes(plaintextBytes + 16)]).toString('base64url');
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.org`;
}

/**
 * A registration body. Its token is only shaped like one (the API knows no
 * such token): enough for tests of validation; `verifiedRegistration` or
 * `registerUser` for a registration that goes through.
 */
export function registration(overrides: Partial<RegisterRequest> = {}, role: SelfRegisteringRole = 'patient'): RegisterRequest {
  return {
    registrationToken: randomKey(REGISTRATION_TOKEN_BYTES),
    email: uniqueEmail(role),
    displayName: role === 'doctor' ? 'Dr. Test' : 'Test Patient',
    role,
    ...(role === 'doctor' ? { licence: 'GMC 7012345', organisation: 'St Mary’s Hospital' } : {}),
    authKey: randomKey(),
    kdf: { algorithm: KDF_ALGORITHM, iterations: KDF_MIN_ITERATIONS, salt: randomKey(16) },
    keys: { wrappedAccountKey: sealedBlob(), publicKey: rsaPublicKey(), wrappedPrivateKey: sealedBlob(1800) },
    recovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: sealedBlob() },
    privacyNoticeVersion: PRIVACY_NOTICE_VERSION,
    ...overrides,
  };
}

export interface RegisteredUser {
  request: RegisterRequest;
  session: SessionResponse;
  /** The browser-like client that registered: it holds the refresh cookie. */
  client: TestClient;
  token: string;
  userId: string;
}

/**
 * Starts a registration for `email` and returns the token of the link in the
 * mail it sends, waiting for that mail to arrive.
 */
export async function registrationTokenFor(api: RegistrationApi, email: string, role: SelfRegisteringRole = 'patient'): Promise<string> {
  const started = await testClient(api.baseUrl).send(ROUTES.startRegistration, { body: { email, role } });
  if (started.status !== 202) throw new Error(`registration start failed: ${started.status} ${started.text}`);
  const mail = await api.mail.next(email);
  const token = registrationTokenIn(mail);
  if (!token) throw new Error(`The mail to ${email} carries no registration link: "${mail.subject}"`);
  return token;
}

/** A registration body with the real token of a registration link, ready to be posted. */
export async function verifiedRegistration(
  api: RegistrationApi,
  overrides: Partial<RegisterRequest> = {},
  role: SelfRegisteringRole = 'patient',
): Promise<RegisterRequest> {
  const request = registration(overrides, role);
  return { ...request, registrationToken: overrides.registrationToken ?? (await registrationTokenFor(api, request.email, role)) };
}

/**
 * A registered account; a doctor is approved by an operator as well, so that patients can find
 * and share with them (`registerUnverifiedDoctor` for one that waits).
 */
export async function registerUser(api: RegistrationApi, role: SelfRegisteringRole = 'patient', overrides: Partial<RegisterRequest> = {}): Promise<RegisteredUser> {
  const user = await registerAccount(api, role, overrides);
  if (role === 'doctor') await decideOnClinician(api, user.userId, 'approve');
  return user;
}

/** A doctor's own registration, waiting in the operators' queue. */
export function registerUnverifiedDoctor(api: RegistrationApi, overrides: Partial<RegisterRequest> = {}): Promise<RegisteredUser> {
  return registerAccount(api, 'doctor', overrides);
}

async function registerAccount(api: RegistrationApi, role: SelfRegisteringRole, overrides: Partial<RegisterRequest>): Promise<RegisteredUser> {
  const client = testClient(api.baseUrl);
  const request = await verifiedRegistration(api, overrides, role);
  const response = await client.send(ROUTES.register, { body: request });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
  return { request, session: response.body, client, token: response.body.accessToken, userId: response.body.user.id };
}

/** An account made from an invitation of the operator's command-line step, as the portal's /register?invitation= makes it. */
export async function registerStaff(api: RegistrationApi, role: StaffRole, displayName = role === 'operator' ? 'Credentialing office' : 'Security team'): Promise<RegisteredUser> {
  const email = uniqueEmail(role);
  const { code } = await createStaffInvitation(api.ownerUrl, role, email, displayName);
  const { registrationToken: _token, role: _role, displayName: _name, ...material } = registration({ email });
  const request = { ...material, invitation: code };
  const client = testClient(api.baseUrl);
  const response = await client.send(ROUTES.registerInvited, { body: request });
  if (response.status !== 201) throw new Error(`register-invited failed: ${response.status} ${response.text}`);
  return { request: registration({ email }), session: response.body, client, token: response.body.accessToken, userId: response.body.user.id };
}

const operators = new WeakMap<RegistrationApi, Promise<RegisteredUser>>();

/** One operator per API, made on first use. */
export function operatorOf(api: RegistrationApi): Promise<RegisteredUser> {
  let operator = operators.get(api);
  if (!operator) {
    operator = registerStaff(api, 'operator');
    operators.set(api, operator);
  }
  return operator;
}

/** An operator's decision on a clinician, through the API; fails unless it is taken. */
export async function decideOnClinician(api: RegistrationApi, clinicianId: string, decision: 'approve' | 'refuse' | 'suspend' | 'reinstate', reason = 'decided by the test'): Promise<void> {
  const operator = await operatorOf(api);
  const params = { id: clinicianId };
  const send = () => {
    const token = operator.token;
    if (decision === 'refuse') return operator.client.send(ROUTES.refuseClinician, { params, token, body: { reason } });
    if (decision === 'suspend') return operator.client.send(ROUTES.suspendClinician, { params, token, body: { reason } });
    return operator.client.send(decision === 'approve' ? ROUTES.approveClinician : ROUTES.reinstateClinician, { params, token });
  };
  let response = await send();
  if (response.status === 401) {
    // The operator's access token outlived its minutes in a long test file: refresh it, as the portal does.
    const refreshed = await operator.client.send(ROUTES.refresh);
    if (refreshed.status !== 200) throw new Error(`operator refresh failed: ${refreshed.status} ${refreshed.text}`);
    operator.token = refreshed.body.accessToken;
    response = await send();
  }
  if (response.status !== 200) throw new Error(`${decision} clinician failed: ${response.status} ${response.text}`);
}

/**
 * A staff account (auditor or operator) put straight into the database, as the operator's
 * command-line step leaves it once redeemed, for tests that need only its id and a token:
 * staff never register themselves (`registerStaff` goes through the invitation).
 */
export async function insertAuditor(adminQuery: (sql: string, params?: unknown[]) => Promise<unknown[]>, role: StaffRole = 'auditor'): Promise<string> {
  const userId = randomUUID();
  await adminQuery(`INSERT INTO users (id, email, display_name, role) VALUES ($1, $2, $3, $4)`, [userId, uniqueEmail(role), role === 'auditor' ? 'Auditor' : 'Operator', role]);
  await adminQuery(`INSERT INTO public_keys (user_id, public_key, fingerprint) VALUES ($1, $2, 'ff')`, [userId, rsaPublicKey()]);
  return userId;
}

/** The session of a sign-in that asks no second factor (the answer of ROUTES.login); fails on a second-factor challenge. */
export function signedIn(answer: LoginResponse): SessionResponse {
  if (isSecondFactorChallenge(answer)) throw new Error('The sign-in asks for a second factor');
  return answer;
}

/** The fingerprint the server stores for a registered user's public key: SHA-256 of the SPKI bytes, lower-case hex (DESIGN 4.5). */
export function fingerprintOf(user: Pick<RegisteredUser, 'request'>): string {
  return createHash('sha256').update(Buffer.from(user.request.keys.publicKey, 'base64url')).digest('hex');
}
