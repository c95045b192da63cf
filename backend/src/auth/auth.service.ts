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
  type RecoveryKeysRequest,
  type RecoveryKeysResponse,
  type RecoveryResetRequest,
  type RegisterAuditorRequest,
  type RegisterRequest,
  type Role,
  type SecondFactorChallenge,
  type SessionResponse,
  type FieldError,
  type WebAuthnLoginRequest,
} from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { invitationHash } from '../cli/create-auditor.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { PublicKeyEntity } from '../users/public-key.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { toMe } from '../users/users.service.js';
import { findAccountByEmail, normalizeEmail } from './accounts.js';
import type { AuthUser } from './auth-user.js';
import { CredentialEntity } from './entities/credential.entity.js';
import { checkRsaPublicKey, checkSealedBlob, fingerprintOf } from './key-material.js';
import { LoginThrottle, type ThrottleKeys } from './login-throttle.service.js';
import { PasswordHasher } from './password-hasher.js';
import { RegistrationService } from './registration.service.js';
import { SessionService, type IssuedSession } from './session.service.js';
import { SecurityKeyRefusal, WebAuthn } from './webauthn.service.js';

/** What the controller needs: the body, and the refresh token for the cookie. */
export interface SessionResult {
  body: SessionResponse;
  session: IssuedSession;
}

/** A sign-in: a session, or (the account has a security key) the key's challenge and no session yet. */
export type LoginResult = SessionResult | { body: SecondFactorChallenge; session?: undefined };

type SecretField = 'authHash' | 'recoveryAuthHash';

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
    private readonly registration: RegistrationService,
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
   * The second step of a registration, from the mail's link: the token proves
   * the email (RegistrationService). A token that is unknown, used, expired or
   * made for another email, and an email that has an account by now, get the
   * same 400: the answer tells nothing the mail did not.
   */
  async register(request: RegisterRequest): Promise<SessionResult> {
    assertAccountKeyMaterial(request);
    const email = normalizeEmail(request.email);
    if (!(await this.registration.claim(request.registrationToken, email))) throw ApiError.validation([REGISTRATION_TOKEN_REFUSED]);
    // If the account cannot be made, the transaction rolls back and the token stays unused.
    return this.createAccount(request, email, request.role, request.displayName, request.role === 'doctor' ? request.specialty : undefined, REGISTRATION_TOKEN_REFUSED);
  }

  /** An auditor redeems the operator's one-time invitation (backend/src/cli/create-auditor.ts): it proves the email too. */
  async registerAuditor(request: RegisterAuditorRequest): Promise<SessionResult> {
    assertAccountKeyMaterial(request);
    const email = normalizeEmail(request.email);
    const [claimed] = await this.db.manager().query<Array<{ name: string | null }>>('SELECT claim_auditor_invitation($1, $2) AS name', [
      invitationHash(request.invitation),
      email,
    ]);
    if (!claimed?.name) {
      throw ApiError.validation([{ field: 'invitation', message: 'This invitation is unknown, used, expired or for another email' }]);
    }
    // If the account cannot be made, the transaction rolls back and the invitation stays unused.
    return this.createAccount(request, email, 'auditor', claimed.name, undefined, {
      field: 'invitation',
      message: 'This invitation cannot be redeemed: its email already has an account; ask the operator for another',
    });
  }

  /** `emailTaken`: the answer when the proven email has an account after all (a race, or an account made since). */
  private async createAccount(
    request: Omit<RegisterRequest, 'registrationToken' | 'role' | 'displayName' | 'specialty'>,
    email: string,
    role: Role,
    displayName: string,
    specialty: string | undefined,
    emailTaken: FieldError,
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
        if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') throw ApiError.validation([emailTaken]);
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
    // Demonstrable consent (GDPR Art. 7(1)): which notice was accepted, when, from where, in the hash-chained trail.
    await this.audit.allow({ subjectId: user.userId, action: 'account.register', reason: `privacy notice ${request.privacyNoticeVersion} accepted` });
    return this.startSession(user, 'account.register');
  }

  /** Ends the session of this refresh token; audited when it named a session. */
  async logout(refreshToken: string | undefined): Promise<void> {
    const user = await this.sessions.end(refreshToken);
    if (user) await this.audit.allow({ subjectId: user.userId, action: 'session.logout' });
  }

  /**
   * The password step. An account with a security key gets the key's
   * challenge instead of a session (ASVS 2.3.2), and its failure counter is
   * cleared only once the key has answered: an attacker who has the password
   * cannot reset the lockout by signing in again between guesses.
   */
  async login(request: LoginRequest): Promise<LoginResult> {
    const { user, keys } = await this.checkSecret('login', 'session.login', request.email, 'authHash', request.authKey);
    const secondFactor = await this.webauthn.signInChallenge(user.userId);
    if (secondFactor) return { body: secondFactor };
    await this.throttle.recordSuccess(keys);
    return this.startSession(user, 'session.login');
  }

  /**
   * The security key step: the assertion must answer the (single-use,
   * two-minute) challenge of this sign-in with a key of this account. A refused
   * one counts as a failed sign-in under the same throttle and is audited.
   */
  async loginWithSecurityKey(request: WebAuthnLoginRequest): Promise<SessionResult> {
    const user = await this.webauthn.ownerOfSignInChallenge(request.challengeToken);
    if (!user) throw new ApiError(401, ERROR_CODES.invalidCredentials, 'This sign-in has expired or was already used; sign in again');
    await this.db.becomeActor(user);
    const keys = this.throttle.keysFor('login', await this.emailOf(user.userId), this.db.meta().ip);
    await this.refuseWhileLocked(keys, user.userId, 'session.security-key');
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
    return this.startSession(user, 'session.login');
  }

  /** DESIGN 4.2: the account key is re-wrapped under the new KEK; nothing else changes. */
  async changePassword(user: AuthUser, request: ChangePasswordRequest, currentRefreshToken?: string): Promise<void> {
    await this.proveCurrentPassword(user, request.currentAuthKey, 'account.password-change');
    assertKeyMaterial([checkSealedBlob('newWrappedAccountKey', request.newWrappedAccountKey)]);
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
    await this.audit.allow({ subjectId: user.userId, action: 'account.password-change' });
  }

  /**
   * Re-authentication before a grave step (password change, erasure): the
   * auth key of the current password, under the sign-in throttle. A wrong one
   * is counted, audited as `action`, and answered with 403.
   */
  async proveCurrentPassword(user: AuthUser, currentAuthKey: string, action: AuditAction): Promise<void> {
    const credential = await this.credentials().findOneBy({ userId: user.userId });
    // A token outlives an erased account by up to its 15 minutes; it signs nothing in.
    if (!credential) throw ApiError.unauthenticated('This account no longer exists');
    const keys = this.throttle.keysFor('login', await this.emailOf(user.userId), this.db.meta().ip);
    await this.refuseWhileLocked(keys, user.userId, action);
    if (!(await this.hasher.verify(credential.authHash, currentAuthKey))) {
      this.recordFailure(keys, user.userId, action, 'current password is wrong');
      throw new ApiError(403, ERROR_CODES.invalidCredentials, 'The current password is not correct');
    }
  }

  async recoveryKeys(request: RecoveryKeysRequest): Promise<RecoveryKeysResponse> {
    const user = await this.verifySecret('recovery', 'account.recovery-keys', request.email, 'recoveryAuthHash', request.recoveryAuthKey);
    const credential = await this.credentials().findOneByOrFail({ userId: user.userId });
    await this.audit.allow({ subjectId: user.userId, action: 'account.recovery-keys' });
    return { recoveryWrappedAccountKey: credential.recoveryWrappedAccountKey };
  }

  /** A new password from the recovery code; the code is replaced, every session ends. */
  async recoveryReset(request: RecoveryResetRequest): Promise<SessionResult> {
    const user = await this.verifySecret('recovery', 'account.recovery', request.email, 'recoveryAuthHash', request.recoveryAuthKey);
    assertKeyMaterial([
      checkSealedBlob('newWrappedAccountKey', request.newWrappedAccountKey),
      checkSealedBlob('newRecovery.recoveryWrappedAccountKey', request.newRecovery.recoveryWrappedAccountKey),
    ]);
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
    await this.audit.allow({ subjectId: user.userId, action: 'account.recovery' });
    return this.startSession(user, 'account.recovery');
  }

  /**
   * A recovery code is itself a high-entropy second secret (DESIGN 4.2): it
   * signs in without the security key, so a lost key does not lock the
   * account holder out, and the key can then be removed from the account page.
   */
  private async verifySecret(purpose: string, action: AuditAction, rawEmail: string, field: SecretField, presented: string): Promise<AuthUser> {
    const { user, keys } = await this.checkSecret(purpose, action, rawEmail, field, presented);
    await this.throttle.recordSuccess(keys);
    return user;
  }

  /**
   * Checks a presented secret (auth key or recovery auth key) under the
   * throttle. Failures are counted and audited even though the request fails;
   * unknown emails take as long as known ones. The caller clears the counter.
   */
  private async checkSecret(
    purpose: string,
    action: AuditAction,
    rawEmail: string,
    field: SecretField,
    presented: string,
  ): Promise<{ user: AuthUser; keys: ThrottleKeys }> {
    const email = normalizeEmail(rawEmail);
    const keys = this.throttle.keysFor(purpose, email, this.db.meta().ip);
    const account = await findAccountByEmail(this.db, email);
    const subjectId = account?.userId ?? AUDIT_SYSTEM_SUBJECT;
    await this.refuseWhileLocked(keys, subjectId, action);
    let storedHash: string | null = null;
    if (account) {
      await this.db.becomeActor(account);
      storedHash = (await this.credentials().findOneBy({ userId: account.userId }))?.[field] ?? null;
    }
    const isValid = await this.hasher.verify(storedHash, presented);
    if (!account || !isValid) {
      await this.db.becomeActor(ANONYMOUS);
      this.recordFailure(keys, subjectId, action, account ? 'wrong credentials' : 'unknown account');
      throw new ApiError(401, ERROR_CODES.invalidCredentials, 'Email or password is incorrect');
    }
    return { user: account, keys };
  }

  private async refuseWhileLocked(keys: ReturnType<LoginThrottle['keysFor']>, subjectId: string, action: AuditAction): Promise<void> {
    const wait = await this.throttle.retryAfterSeconds(keys);
    if (wait <= 0) return;
    this.audit.deny({ subjectId, action, reason: 'locked out after repeated failures' });
    throw ApiError.tooManyRequests(wait);
  }

  private recordFailure(keys: ReturnType<LoginThrottle['keysFor']>, subjectId: string, action: AuditAction, reason: string): void {
    this.audit.deny({ subjectId, action, reason });
    this.db.deferWrite(async () => {
      const { lockedForSeconds } = await this.throttle.recordFailure(keys);
      if (lockedForSeconds !== null) {
        await this.audit.record({ subjectId, action: 'session.lockout', outcome: 'deny', reason: `locked for ${lockedForSeconds} s` });
      }
    });
  }

  private async startSession(user: AuthUser, reason: AuditAction): Promise<SessionResult> {
    const session = await this.sessions.issue(user);
    if (reason === 'session.login') await this.audit.allow({ subjectId: user.userId, action: 'session.login' });
    const manager = this.db.manager();
    const account = await manager.getRepository(UserEntity).findOneByOrFail({ id: user.userId });
    const credential = await this.credentials().findOneByOrFail({ userId: user.userId });
    const publicKey = await manager.getRepository(PublicKeyEntity).findOneByOrFail({ userId: user.userId });
    return {
      session,
      body: {
        accessToken: session.accessToken,
        expiresIn: session.expiresIn,
        user: toMe(account, publicKey.fingerprint),
        keys: {
          kdf: kdfOf(credential),
          wrappedAccountKey: credential.wrappedAccountKey,
          wrappedPrivateKey: credential.wrappedPrivateKey,
          publicKey: publicKey.publicKey,
          fingerprint: publicKey.fingerprint,
        },
      },
    };
  }

  private async emailOf(userId: string): Promise<string> {
    return (await this.db.manager().getRepository(UserEntity).findOneByOrFail({ id: userId })).email;
  }

  private credentials() {
    return this.db.manager().getRepository(CredentialEntity);
  }
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
