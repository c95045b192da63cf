import { createHmac, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AUDIT_SYSTEM_SUBJECT,
  ERROR_CODES,
  KDF_ALGORITHM,
  KDF_SALT_BYTES,
  type AuditAction,
  type ChangePasswordRequest,
  type KdfParams,
  type LoginRequest,
  type PreloginResponse,
  type ProofOfWorkChallenge,
  type ProofOfWorkPurpose,
  type ProofOfWorkRequest,
  type ProofOfWorkSolution,
  type RecoveryKeysRequest,
  type RecoveryKeysResponse,
  type RecoveryResetRequest,
  type RegisterInvitedRequest,
  type RegisterRequest,
  type Role,
  type SecondFactorChallenge,
  type SessionResponse,
  type FieldError,
  type WebAuthnLoginRequest,
} from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { invitationHash, invitationRef } from '../identity/invitation-codes.js';
import { standingOf } from '../clinicians/clinician-standing.js';
import { ClinicianEntity } from '../clinicians/clinician.entity.js';
import { nameSkeleton, normaliseName } from '../clinicians/name-check.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { isUniqueViolation } from '../db/database-errors.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { KeyDirectory } from '../key-directory/key-directory.service.js';
import { KeyGenerations } from '../key-rotation/key-generations.js';
import { PublicKeyEntity } from '../users/public-key.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { toMe } from '../users/users.service.js';
import { normalizeEmail } from '../identity/email.js';
import { findAccountByEmail } from './accounts.repository.js';
import type { AuthUser } from '../identity/auth-user.js';
import { CredentialEntity } from './credentials/credential.entity.js';
import { checkRsaPublicKey, checkSealedBlob, fingerprintOf } from '../identity/key-material.js';
import { KnownDevices, type RememberedDevice } from './sign-in/known-devices.service.js';
import { LoginThrottle, type Demand, type ThrottleKeys } from './sign-in/login-throttle.service.js';
import { PasswordHasher } from './credentials/password-hasher.js';
import { ProofOfWork } from './sign-in/proof-of-work.service.js';
import { RegistrationService } from './registration/registration.service.js';
import { SessionService, type IssuedSession } from './sessions/session.service.js';
import { SecurityKeyRefusal, WebAuthn } from './second-factors/webauthn.service.js';

/** What the controller needs: the body, the refresh token and the device token for the cookies. */
export interface SessionResult {
  body: SessionResponse;
  session: IssuedSession;
  device: RememberedDevice;
}

/** A sign-in: a session, or (the account has a security key) the key's challenge and no session yet. */
export type LoginResult = SessionResult | { body: SecondFactorChallenge; session?: undefined; device?: undefined };

/** The recovery wrap, and the browser that proved the code is now a known device. */
export interface RecoveryKeysResult {
  body: RecoveryKeysResponse;
  device: RememberedDevice;
}

/** The device cookie a request brought, if any (docs/architecture.md "Sessions"). */
export type DeviceToken = string | undefined;

type SecretField = 'authHash' | 'recoveryAuthHash';

/** Who an attempt is on and where it comes from, before any secret is checked. */
interface Attempt {
  email: string;
  account: AuthUser | null;
  /** The account's trail, or the system trail for an unknown email. */
  subjectId: string;
  keys: ThrottleKeys;
}

/** A row of claim_invitation(): what the operator's invitation says of the account it makes. */
interface ClaimedInvitation {
  role: Role;
  display_name: string;
  specialty: string | null;
  licence: string | null;
  organisation: string | null;
  invited_by: string | null;
  invited_by_name: string | null;
}

/** A doctor names a licence and an organisation (an operator checks them); no one else does. */
function assertClinicianFields(request: RegisterRequest): void {
  const problems: FieldError[] = [];
  for (const field of ['licence', 'organisation'] as const) {
    const given = request[field] !== undefined;
    if (request.role === 'doctor' && !given) problems.push({ field, message: `${field} is required for a doctor: an operator checks it before patients can find you` });
    if (request.role !== 'doctor' && given) problems.push({ field, message: `${field} can be given only by a doctor` });
  }
  if (problems.length) throw ApiError.validation(problems);
}

/** Accounts and sign-in (DESIGN 4.1, 4.2, 8). */
@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly webauthn: WebAuthn,
    private readonly devices: KnownDevices,
    private readonly proofOfWork: ProofOfWork,
    private readonly registration: RegistrationService,
    private readonly keyDirectory: KeyDirectory,
    private readonly keyGenerations: KeyGenerations,
  ) {}

  /**
   * KDF parameters for an email. For an unknown email the answer is derived
   * from a server secret, stable and shaped like a real one, so the call does
   * not tell who has an account (DESIGN 4.1).
   */
  async prelogin(rawEmail: string): Promise<PreloginResponse> {
    const email = normalizeEmail(rawEmail);
    const account = await findAccountByEmail(this.db, email);
    if (account) {
      await this.db.becomeActor(account);
      const credential = await this.credentials().findOneBy({ userId: account.userId });
      if (credential) return { kdf: kdfOf(credential) };
    }
    const salt = createHmac('sha256', this.config.preloginSecret).update(`kdf-salt:${email}`).digest().subarray(0, KDF_SALT_BYTES);
    return { kdf: { algorithm: KDF_ALGORITHM, iterations: this.config.kdfIterations, salt: salt.toString('base64url') } };
  }

  /**
   * The proof of work this email and client need before a secret is checked
   * (docs/protocol.md "Proof of work"), as a signed challenge; difficulty 0
   * when none is needed. A demand is audited; unknown emails are counted and
   * answered like known ones, so the answer does not tell who has an account.
   */
  async proofOfWorkChallenge(request: ProofOfWorkRequest, deviceToken: DeviceToken): Promise<ProofOfWorkChallenge> {
    const attempt = await this.attemptOn(request.purpose, request.email, deviceToken);
    const demand = await this.throttle.demand(attempt.keys);
    await this.db.becomeActor(ANONYMOUS);
    if (demand.bits > 0) this.audit.deny({ subjectId: attempt.subjectId, action: 'session.proof-of-work', reason: describeDemand(request.purpose, demand) });
    return this.proofOfWork.issue(attempt.email, request.purpose, demand.bits);
  }

  /**
   * The second step of a registration, from the mail's link: the token proves
   * the email (RegistrationService). A token that is unknown, used, expired or
   * made for another email, and an email that has an account by now, get the
   * same 400: the answer tells nothing the mail did not.
   */
  async register(request: RegisterRequest, deviceToken: DeviceToken): Promise<SessionResult> {
    assertAccountKeyMaterial(request);
    assertClinicianFields(request);
    const email = normalizeEmail(request.email);
    if (!(await this.registration.claim(request.registrationToken, email))) throw ApiError.validation([REGISTRATION_TOKEN_REFUSED]);
    const isDoctor = request.role === 'doctor';
    const displayName = isDoctor ? normaliseName(request.displayName) : request.displayName;
    // If the account cannot be made, the transaction rolls back and the token stays unused.
    const result = await this.createAccount(request, email, request.role, displayName, isDoctor ? request.specialty : undefined, REGISTRATION_TOKEN_REFUSED, deviceToken);
    if (isDoctor) {
      // docs/protocol.md "Clinicians": a doctor's own registration waits for an operator.
      const clinician = { userId: result.body.user.id, licence: (request.licence as string).trim(), organisation: (request.organisation as string).trim() };
      await this.db.manager().getRepository(ClinicianEntity).insert({ ...clinician, status: 'pending', origin: 'request', nameSkeleton: nameSkeleton(displayName), requestedAt: new Date() });
      // The trail outlives an erasure and holds no names or numbers of the person (docs/erasure.md).
      await this.audit.allow({ subjectId: clinician.userId, action: 'clinician.request', reason: 'licence and organisation given; waits for an operator' });
      result.body.user.clinician = await standingOf(this.db, clinician.userId);
    }
    return result;
  }

  /**
   * Redeems a one-time invitation: an auditor's or operator's from the command
   * line (backend/src/cli/invitations.ts), or a clinician's from an operator
   * (POST /clinicians/invitations), approved from the start by that operator.
   * The invitation proves the email too, and names the role.
   */
  async registerInvited(request: RegisterInvitedRequest, deviceToken: DeviceToken): Promise<SessionResult> {
    assertAccountKeyMaterial(request);
    const email = normalizeEmail(request.email);
    const hash = invitationHash(request.invitation);
    const [claimed] = await this.db.manager().query<ClaimedInvitation[]>('SELECT * FROM claim_invitation($1, $2)', [hash, email]);
    if (!claimed) {
      throw ApiError.validation([{ field: 'invitation', message: 'This invitation is unknown, used, expired or for another email' }]);
    }
    // If the account cannot be made, the transaction rolls back and the invitation stays unused.
    const result = await this.createAccount(request, email, claimed.role, claimed.display_name, claimed.specialty ?? undefined, {
      field: 'invitation',
      message: 'This invitation cannot be redeemed: its email already has an account; ask the operator for another',
    }, deviceToken);
    if (claimed.role === 'doctor') {
      const userId = result.body.user.id;
      const [enrolled] = await this.db.manager().query<Array<{ enrolled: boolean | null }>>('SELECT enrol_invited_clinician($1, $2) AS enrolled', [hash, nameSkeleton(claimed.display_name)]);
      if (enrolled?.enrolled !== true) throw new Error('The claimed clinician invitation did not enrol the new account');
      await this.audit.allow({
        subjectId: userId,
        action: 'clinician.invite',
        reason: `invitation ${invitationRef(hash)}, approved by operator ${claimed.invited_by ?? 'no longer on record'}`,
      });
      result.body.user.clinician = await standingOf(this.db, userId);
    }
    return result;
  }

  /** `emailTaken`: the answer when the proven email has an account after all (a race, or an account made since). */
  private async createAccount(
    request: Omit<RegisterRequest, 'registrationToken' | 'role' | 'displayName' | 'specialty'>,
    email: string,
    role: Role,
    displayName: string,
    specialty: string | undefined,
    emailTaken: FieldError,
    deviceToken: DeviceToken,
  ): Promise<SessionResult> {
    if (await findAccountByEmail(this.db, email)) throw ApiError.validation([emailTaken]);
    const user: AuthUser = { userId: randomUUID(), role };
    await this.db.becomeActor(user);
    const [authHash, recoveryAuthHash] = await Promise.all([
      this.hasher.hash(request.authKey),
      this.hasher.hash(request.recovery.recoveryAuthKey),
    ]);
    const manager = this.db.manager();
    await manager
      .getRepository(UserEntity)
      .insert({ id: user.userId, email, displayName: displayName.trim(), role: user.role, specialty: specialty?.trim() || null })
      .catch((error: unknown) => {
        // Two registrations of one email at once: the unique index decides.
        if (isUniqueViolation(error)) throw ApiError.validation([emailTaken]);
        throw error;
      });
    await this.credentials().insert({
      userId: user.userId,
      authHash,
      kdfIterations: request.kdf.iterations,
      kdfSalt: request.kdf.salt,
      wrappedAccountKey: request.keys.wrappedAccountKey,
      wrappedPrivateKey: request.keys.wrappedPrivateKey,
      recoveryAuthHash,
      recoveryWrappedAccountKey: request.recovery.recoveryWrappedAccountKey,
    });
    await manager.getRepository(PublicKeyEntity).insert({
      userId: user.userId,
      publicKey: request.keys.publicKey,
      fingerprint: fingerprintOf(request.keys.publicKey),
    });
    // DESIGN 4.5: the binding of the new account to its key goes into the key directory, in this transaction.
    await this.keyDirectory.bind({ userId: user.userId, role: user.role, publicKey: request.keys.publicKey });
    // Demonstrable consent (GDPR Art. 7(1)): which notice was accepted, when, from where, in the hash-chained trail.
    await this.audit.allow({ subjectId: user.userId, action: 'account.register', reason: `privacy notice ${request.privacyNoticeVersion} accepted` });
    return this.startSession(user, 'account.register', deviceToken, false);
  }

  /** Ends the session of this refresh token; audited when it named a session. */
  async logout(refreshToken: string | undefined): Promise<void> {
    const user = await this.sessions.end(refreshToken);
    if (user) await this.audit.allow({ subjectId: user.userId, action: 'session.logout' });
  }

  /**
   * The password step. An account with a security key gets the key's
   * challenge instead of a session (ASVS 2.3.2), and this client's failure
   * count is cleared only once the key has answered: an attacker who has the
   * password cannot reset it by signing in again between guesses.
   */
  async login(request: LoginRequest, deviceToken: DeviceToken): Promise<LoginResult> {
    const { user, keys } = await this.checkSecret('login', 'session.login', request, 'authHash', request.authKey, deviceToken);
    const secondFactor = await this.webauthn.signInChallenge(user.userId);
    if (secondFactor) return { body: secondFactor };
    await this.throttle.recordSuccess(keys);
    return this.startSession(user, 'session.login', deviceToken, keys.isKnownDevice);
  }

  /**
   * The security key step: the assertion must answer the (single-use,
   * two-minute) challenge of this sign-in with a key of this account. A refused
   * one counts as a failed sign-in under the same throttle and is audited; a
   * valid one always passes, whatever anyone else has been trying (the
   * challenge token itself came with the right password and any proof of work
   * that was due).
   */
  async loginWithSecurityKey(request: WebAuthnLoginRequest, deviceToken: DeviceToken): Promise<SessionResult> {
    const user = await this.webauthn.ownerOfSignInChallenge(request.challengeToken);
    if (!user) throw new ApiError(401, ERROR_CODES.invalidCredentials, 'This sign-in has expired or was already used; sign in again');
    await this.db.becomeActor(user);
    const deviceId = await this.devices.recognise(user.userId, deviceToken);
    const keys = this.throttle.keysFor('login', await this.emailOf(user.userId), deviceId ? { deviceId } : { ip: this.db.meta().ip });
    const challenge = await this.webauthn.consumeChallenge(request.challengeToken, 'sign-in');
    if (!challenge) throw new ApiError(401, ERROR_CODES.invalidCredentials, 'This sign-in has expired or was already used; sign in again');
    try {
      await this.webauthn.verifyAssertion(challenge, request.credential);
    } catch (error) {
      if (!(error instanceof SecurityKeyRefusal)) throw error;
      this.recordFailure(keys, user.userId, 'session.security-key', error.reason);
      throw new ApiError(401, ERROR_CODES.invalidCredentials, 'The security key did not confirm this sign-in; sign in again');
    }
    await this.throttle.recordSuccess(keys);
    await this.audit.allow({ subjectId: user.userId, action: 'session.security-key' });
    return this.startSession(user, 'session.login', deviceToken, keys.isKnownDevice);
  }

  /**
   * DESIGN 4.2: the account key is re-wrapped under the new KEK. Other
   * sessions end, and other browsers are no longer known devices.
   */
  async changePassword(user: AuthUser, request: ChangePasswordRequest, currentRefreshToken?: string, deviceToken?: DeviceToken): Promise<void> {
    await this.proveCurrentPassword(user, request.currentAuthKey, 'account.password-change');
    assertKeyMaterial([checkSealedBlob('newWrappedAccountKey', request.newWrappedAccountKey)]);
    await this.refuseDuringRotation(user, 'account.password-change', 'password change');
    await this.credentials().update(
      { userId: user.userId },
      {
        authHash: await this.hasher.hash(request.newAuthKey),
        kdfIterations: request.newKdf.iterations,
        kdfSalt: request.newKdf.salt,
        wrappedAccountKey: request.newWrappedAccountKey,
        updatedAt: new Date(),
      },
    );
    await this.sessions.endAllSessions(user.userId, currentRefreshToken);
    await this.devices.forgetAllBut(user.userId, deviceToken);
    await this.audit.allow({ subjectId: user.userId, action: 'account.password-change' });
  }

  /**
   * Re-authentication before a grave step (password change, erasure, removing
   * a security key): the auth key of the current password. It needs a valid
   * session already, so it is counted per session: after LOGIN_FREE_FAILURES
   * wrong ones that session waits REAUTH_DELAY_SECONDS, doubling up to
   * REAUTH_MAX_DELAY_SECONDS, and no other session or sign-in is touched.
   * A wrong one is audited as `action` and answered with 403.
   */
  async proveCurrentPassword(user: AuthUser, currentAuthKey: string, action: AuditAction): Promise<void> {
    const credential = await this.credentials().findOneBy({ userId: user.userId });
    // A token outlives an erased account by up to its 15 minutes; it signs nothing in.
    if (!credential) throw ApiError.unauthenticated('This account no longer exists');
    const key = this.throttle.reauthKey(user.userId, user.sessionId);
    const wait = await this.throttle.reauthWaitSeconds(key);
    if (wait > 0) {
      this.audit.deny({ subjectId: user.userId, action, reason: 'held back after repeated wrong passwords in this session' });
      throw ApiError.tooManyRequests(wait);
    }
    if (!(await this.hasher.verify(credential.authHash, currentAuthKey))) {
      this.audit.deny({ subjectId: user.userId, action, reason: 'current password is wrong' });
      this.db.deferWrite(async () => {
        const seconds = await this.throttle.recordReauthFailure(key);
        if (seconds === null) return;
        await this.audit.record({ subjectId: user.userId, action: 'session.lockout', outcome: 'deny', reason: `re-authentication in this session held back for ${seconds} s` });
      });
      throw new ApiError(403, ERROR_CODES.invalidCredentials, 'The current password is not correct');
    }
    await this.throttle.recordReauthSuccess(key);
  }

  async recoveryKeys(request: RecoveryKeysRequest, deviceToken: DeviceToken): Promise<RecoveryKeysResult> {
    const user = await this.verifySecret('recovery', 'account.recovery-keys', request, 'recoveryAuthHash', request.recoveryAuthKey, deviceToken);
    const credential = await this.credentials().findOneByOrFail({ userId: user.userId });
    await this.audit.allow({ subjectId: user.userId, action: 'account.recovery-keys' });
    // The recovery code proves the account as fully as password and key: the reset that follows needs no second proof of work.
    const device = await this.devices.remember(user.userId, deviceToken, null);
    return { body: { recoveryWrappedAccountKey: credential.recoveryWrappedAccountKey }, device };
  }

  /** A new password from the recovery code; the code is replaced, every session ends, every other browser is forgotten. */
  async recoveryReset(request: RecoveryResetRequest, deviceToken: DeviceToken): Promise<SessionResult> {
    const user = await this.verifySecret('recovery', 'account.recovery', request, 'recoveryAuthHash', request.recoveryAuthKey, deviceToken);
    assertKeyMaterial([
      checkSealedBlob('newWrappedAccountKey', request.newWrappedAccountKey),
      checkSealedBlob('newRecovery.recoveryWrappedAccountKey', request.newRecovery.recoveryWrappedAccountKey),
    ]);
    await this.refuseDuringRotation(user, 'account.recovery', 'recovery');
    const [authHash, recoveryAuthHash] = await Promise.all([
      this.hasher.hash(request.newAuthKey),
      this.hasher.hash(request.newRecovery.recoveryAuthKey),
    ]);
    await this.credentials().update(
      { userId: user.userId },
      {
        authHash,
        kdfIterations: request.newKdf.iterations,
        kdfSalt: request.newKdf.salt,
        wrappedAccountKey: request.newWrappedAccountKey,
        recoveryAuthHash,
        recoveryWrappedAccountKey: request.newRecovery.recoveryWrappedAccountKey,
        updatedAt: new Date(),
      },
    );
    await this.sessions.endAllSessions(user.userId);
    await this.devices.forgetAllBut(user.userId, deviceToken);
    await this.audit.allow({ subjectId: user.userId, action: 'account.recovery' });
    return this.startSession(user, 'account.recovery', deviceToken, false);
  }

  /**
   * A recovery code is itself a high-entropy second secret (DESIGN 4.2): it
   * signs in without the security key, so a lost key does not lock the
   * account holder out, and the key can then be removed from the account page.
   */
  private async verifySecret(
    purpose: ProofOfWorkPurpose,
    action: AuditAction,
    request: SecretRequest,
    field: SecretField,
    presented: string,
    deviceToken: DeviceToken,
  ): Promise<AuthUser> {
    const { user, keys } = await this.checkSecret(purpose, action, request, field, presented, deviceToken);
    await this.throttle.recordSuccess(keys);
    return user;
  }

  /** The account an email names (if any) and the throttle's keys for this client: a known device of that account, or else the IP. */
  private async attemptOn(purpose: ProofOfWorkPurpose, rawEmail: string, deviceToken: DeviceToken): Promise<Attempt> {
    const email = normalizeEmail(rawEmail);
    const account = await findAccountByEmail(this.db, email);
    let deviceId: string | null = null;
    if (account) {
      await this.db.becomeActor(account);
      deviceId = await this.devices.recognise(account.userId, deviceToken);
    }
    const keys = this.throttle.keysFor(purpose, email, deviceId ? { deviceId } : { ip: this.db.meta().ip });
    return { email, account, subjectId: account?.userId ?? AUDIT_SYSTEM_SUBJECT, keys };
  }

  /**
   * Checks a presented secret (auth key or recovery auth key) under the
   * throttle: first the proof of work it demands of this client, then the
   * secret. Never refuses the right secret for failures elsewhere: the most
   * it asks is a proof a browser solves in seconds. Failures (a missing or
   * bad proof included) are counted and audited even though the request
   * fails; unknown emails take as long as known ones. The caller clears this
   * client's count.
   */
  private async checkSecret(
    purpose: ProofOfWorkPurpose,
    action: AuditAction,
    request: SecretRequest,
    field: SecretField,
    presented: string,
    deviceToken: DeviceToken,
  ): Promise<{ user: AuthUser; keys: ThrottleKeys }> {
    const { email, account, subjectId, keys } = await this.attemptOn(purpose, request.email, deviceToken);
    const demand = await this.throttle.demand(keys);
    if (demand.bits > 0 || request.proofOfWork) {
      const refusal = await this.proofOfWork.refusal(request.proofOfWork, { email, purpose, bits: demand.bits });
      if (refusal) {
        await this.db.becomeActor(ANONYMOUS);
        this.recordFailure(keys, subjectId, action, `proof of work ${refusal}: ${describeDemand(purpose, demand)}`);
        throw ApiError.proofOfWorkRequired();
      }
    }
    const storedHash = account ? ((await this.credentials().findOneBy({ userId: account.userId }))?.[field] ?? null) : null;
    const isValid = await this.hasher.verify(storedHash, presented);
    if (!account || !isValid) {
      await this.db.becomeActor(ANONYMOUS);
      this.recordFailure(keys, subjectId, action, account ? 'wrong credentials' : 'unknown account');
      throw new ApiError(401, ERROR_CODES.invalidCredentials, 'Email or password is incorrect');
    }
    return { user: account, keys };
  }

  private recordFailure(keys: ThrottleKeys, subjectId: string, action: AuditAction, reason: string): void {
    this.audit.deny({ subjectId, action, reason });
    this.db.deferWrite(() => this.throttle.recordFailure(keys));
  }

  /**
   * A session for an account whose secret was proven from this browser, which
   * thereby becomes (or stays) one of its known devices. A sign-in's audit row
   * says whether the device was known.
   */
  private async startSession(user: AuthUser, reason: AuditAction, deviceToken: DeviceToken, isKnownDevice: boolean): Promise<SessionResult> {
    const session = await this.sessions.issue(user);
    const device = await this.devices.remember(user.userId, deviceToken, session.familyId);
    if (reason === 'session.login') await this.audit.allow({ subjectId: user.userId, action: 'session.login', reason: isKnownDevice ? 'known device' : 'new device' });
    const manager = this.db.manager();
    const account = await manager.getRepository(UserEntity).findOneByOrFail({ id: user.userId });
    const credential = await this.credentials().findOneByOrFail({ userId: user.userId });
    const publicKey = await manager.getRepository(PublicKeyEntity).findOneByOrFail({ userId: user.userId });
    return {
      session,
      device,
      body: {
        accessToken: session.accessToken,
        expiresIn: session.expiresIn,
        user: toMe(account, publicKey.fingerprint, await standingOf(this.db, user.userId)),
        keys: {
          kdf: kdfOf(credential),
          wrappedAccountKey: credential.wrappedAccountKey,
          wrappedPrivateKey: credential.wrappedPrivateKey,
          publicKey: publicKey.publicKey,
          fingerprint: publicKey.fingerprint,
          ...(await this.keyGenerations.keysOf(user.userId)),
        },
      },
    };
  }

  /** docs/protocol.md "Account-key rotation": a password change or recovery waits for a rotation to finish (audited 409). */
  private async refuseDuringRotation(user: AuthUser, action: AuditAction, step: string): Promise<void> {
    await this.keyGenerations.refuseDuringRotation(user.userId, step).catch((error: unknown) => {
      if (error instanceof ApiError) this.audit.deny({ subjectId: user.userId, action, reason: 'an account-key rotation is under way' });
      throw error;
    });
  }

  private async emailOf(userId: string): Promise<string> {
    return (await this.db.manager().getRepository(UserEntity).findOneByOrFail({ id: userId })).email;
  }

  private credentials() {
    return this.db.manager().getRepository(CredentialEntity);
  }
}

/** The email and the proof of work that a secret arrives with. */
interface SecretRequest {
  email: string;
  proofOfWork?: ProofOfWorkSolution;
}

function describeDemand(purpose: ProofOfWorkPurpose, demand: Demand): string {
  const work = demand.bits > 0 ? `${demand.bits} bits demanded` : 'no work demanded';
  return `${work} for ${purpose} (${demand.accountFailures} failures on the account, ${demand.clientFailures} from this client)`;
}

function kdfOf(credential: CredentialEntity): KdfParams {
  return { algorithm: KDF_ALGORITHM, iterations: credential.kdfIterations, salt: credential.kdfSalt };
}

/** The answer to a registration whose token cannot be used, for whatever reason. */
const REGISTRATION_TOKEN_REFUSED: FieldError = {
  field: 'registrationToken',
  message: 'This registration link is unknown, used or expired, or was made for another email; start the registration again',
};

function assertAccountKeyMaterial(request: Pick<RegisterRequest, 'keys' | 'recovery'>): void {
  assertKeyMaterial([
    checkSealedBlob('keys.wrappedAccountKey', request.keys.wrappedAccountKey),
    checkSealedBlob('keys.wrappedPrivateKey', request.keys.wrappedPrivateKey),
    checkSealedBlob('recovery.recoveryWrappedAccountKey', request.recovery.recoveryWrappedAccountKey),
    checkRsaPublicKey('keys.publicKey', request.keys.publicKey),
  ]);
}

function assertKeyMaterial(checks: Array<FieldError | null>): void {
  const problems = checks.filter((problem): problem is FieldError => problem !== null);
  if (problems.length) throw ApiError.validation(problems);
}
