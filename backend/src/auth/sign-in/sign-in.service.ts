import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AUDIT_SYSTEM_SUBJECT,
  ERROR_CODES,
  KDF_ALGORITHM,
  KDF_SALT_BYTES,
  type AuditAction,
  type LoginRequest,
  type PreloginResponse,
  type ProofOfWorkChallenge,
  type ProofOfWorkPurpose,
  type ProofOfWorkRequest,
  type ProofOfWorkSolution,
  type SecondFactorChallenge,
  type TotpLoginRequest,
  type WebAuthnLoginRequest,
} from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { ANONYMOUS, Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { normalizeEmail } from '../../identity/email.js';
import { UsersRepository } from '../../users/users.repository.js';
import { CredentialsRepository } from '../credentials/credentials.repository.js';
import { kdfOf } from '../credentials/kdf.js';
import { PasswordHasher } from '../credentials/password-hasher.js';
import { TotpService } from '../second-factors/totp.service.js';
import { SecurityKeyRefusal, WebAuthn, type ConsumedChallenge } from '../second-factors/webauthn.service.js';
import { SessionService } from '../sessions/session.service.js';
import { SessionStarter, type DeviceToken, type RefreshToken, type ResumedSession, type SessionResult } from '../sessions/session-starter.js';
import { KnownDevices } from './known-devices.service.js';
import { LoginThrottle, type Demand, type ThrottleKeys } from './login-throttle.service.js';
import { ProofOfWork } from './proof-of-work.service.js';
import { SignInFactsRepository, type SecretColumn } from './sign-in-facts.repository.js';

/** A sign-in: a session, or (the account has a second factor) its challenge and no session yet. */
export type LoginResult = SessionResult | { body: SecondFactorChallenge; session?: undefined; device?: undefined };

/** The email and the proof of work that a secret arrives with. */
export interface SecretRequest {
  email: string;
  proofOfWork?: ProofOfWorkSolution;
}

type SecretField = Exclude<SecretColumn, null>;

/** Who an attempt is on and where it comes from, and what it must bring, before any secret is checked. */
interface Attempt {
  email: string;
  account: AuthUser | null;
  /** The account's trail, or the system trail for an unknown email. */
  subjectId: string;
  keys: ThrottleKeys;
  demand: Demand;
  /** The stored hash of the secret asked for; null for an unknown account (the hasher then checks a decoy). */
  storedHash: string | null;
  hasSecurityKey: boolean;
  hasTotp: boolean;
}

/** Signing in and out (DESIGN 4.1, 8): KDF parameters, proofs of work, the password and security-key steps. */
@Injectable()
export class SignInService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly users: UsersRepository,
    private readonly credentials: CredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly proofOfWork: ProofOfWork,
    private readonly devices: KnownDevices,
    private readonly webauthn: WebAuthn,
    private readonly totp: TotpService,
    private readonly sessions: SessionService,
    private readonly sessionStarter: SessionStarter,
    private readonly audit: AuditService,
    private readonly facts: SignInFactsRepository,
  ) {}

  /**
   * KDF parameters for an email. For an unknown email the answer is derived
   * from a server secret, stable and shaped like a real one, so the call does
   * not tell who has an account (DESIGN 4.1).
   */
  async prelogin(rawEmail: string): Promise<PreloginResponse> {
    const email = normalizeEmail(rawEmail);
    const account = await this.users.findAccountByEmailAsActor(email);
    if (account) {
      const credential = await this.credentials.findByUser(account.userId);
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
    const attempt = await this.attemptOn(request.purpose, request.email, deviceToken, null);
    const { demand } = attempt;
    await this.db.becomeActor(ANONYMOUS);
    if (demand.bits > 0) this.audit.deny({ subjectId: attempt.subjectId, action: 'session.proof-of-work', reason: describeDemand(request.purpose, demand) });
    return this.proofOfWork.issue(attempt.email, request.purpose, demand.bits);
  }

  /**
   * The password step. An account with a second factor (a security key, an
   * authenticator app) gets its challenge instead of a session (ASVS 2.3.2,
   * 6.3.2), and this client's failure count is cleared only once the factor
   * has answered: an attacker who has the password cannot reset it by signing
   * in again between guesses.
   */
  async login(request: LoginRequest, deviceToken: DeviceToken, replacing: RefreshToken): Promise<LoginResult> {
    const { user, keys, demand, hasSecurityKey, hasTotp } = await this.checkSecret('login', 'session.login', request, 'authHash', request.authKey, deviceToken);
    const secondFactor = hasSecurityKey || hasTotp ? await this.webauthn.signInChallenge(user.userId, hasTotp) : null;
    if (secondFactor) return { body: secondFactor };
    await this.clearClientFailures(keys, demand);
    return this.sessionStarter.start(user, 'session.login', deviceToken, keys.isKnownDevice, replacing);
  }

  /**
   * The security key step: the assertion must answer the (single-use,
   * two-minute) challenge of this sign-in with a key of this account. A refused
   * one counts as a failed sign-in under the same throttle and is audited; a
   * valid one always passes, whatever anyone else has been trying (the
   * challenge token itself came with the right password and any proof of work
   * that was due).
   */
  async loginWithSecurityKey(request: WebAuthnLoginRequest, deviceToken: DeviceToken, replacing: RefreshToken): Promise<SessionResult> {
    const { user, keys, challenge } = await this.takeSignInChallenge(request.challengeToken, deviceToken);
    try {
      await this.webauthn.verifyAssertion(challenge, request.credential);
    } catch (error) {
      if (!(error instanceof SecurityKeyRefusal)) throw error;
      this.recordFailure(keys, user.userId, 'session.security-key', error.reason);
      throw new ApiError(401, ERROR_CODES.invalidCredentials, 'The security key did not confirm this sign-in; sign in again');
    }
    await this.throttle.recordSuccess(keys);
    await this.audit.allow({ subjectId: user.userId, action: 'session.security-key' });
    return this.sessionStarter.start(user, 'session.login', deviceToken, keys.isKnownDevice, replacing);
  }

  /**
   * The authenticator-app step: a code of the account's app for the current
   * time step (or one either side), not of a step used before, answering the
   * (single-use, two-minute) challenge of this sign-in. A refused one counts
   * as a failed sign-in under the same throttle and is audited, and the
   * challenge is gone: the next try starts again with the password.
   */
  async loginWithTotp(request: TotpLoginRequest, deviceToken: DeviceToken, replacing: RefreshToken): Promise<SessionResult> {
    const { user, keys, challenge } = await this.takeSignInChallenge(request.challengeToken, deviceToken);
    const refusal = challenge.isLive ? await this.totp.acceptSignInCode(user, request.code) : 'challenge expired';
    if (refusal) {
      this.recordFailure(keys, user.userId, 'session.totp', refusal);
      throw new ApiError(401, ERROR_CODES.invalidCredentials, 'The code did not confirm this sign-in; sign in again');
    }
    await this.throttle.recordSuccess(keys);
    await this.audit.allow({ subjectId: user.userId, action: 'session.totp' });
    return this.sessionStarter.start(user, 'session.login', deviceToken, keys.isKnownDevice, replacing);
  }

  /** The account a sign-in's second step is for, its throttle keys, and the challenge, taken out of the store (single use). */
  private async takeSignInChallenge(challengeToken: string, deviceToken: DeviceToken): Promise<{ user: AuthUser; keys: ThrottleKeys; challenge: ConsumedChallenge }> {
    const user = await this.webauthn.ownerOfSignInChallenge(challengeToken);
    if (!user) throw new ApiError(401, ERROR_CODES.invalidCredentials, 'This sign-in has expired or was already used; sign in again');
    await this.db.becomeActor(user);
    const deviceId = await this.devices.recognise(user.userId, deviceToken);
    const keys = this.throttle.keysFor('login', await this.emailOf(user.userId), deviceId ? { deviceId } : { ip: this.db.meta().ip });
    const challenge = await this.webauthn.consumeChallenge(challengeToken, 'sign-in');
    if (!challenge) throw new ApiError(401, ERROR_CODES.invalidCredentials, 'This sign-in has expired or was already used; sign in again');
    return { user, keys, challenge };
  }

  /**
   * A locked browser unlocked (docs/protocol.md "Lock, reload and new tabs"): the password is
   * proven as at sign-in (the same throttle, proof of work and audit of failures), and the
   * browser's refresh token, which must be this account's, is rotated within its family. No new
   * session, so no second factor: the family began with it. The answer carries the account's
   * keys again, as a sign-in's does; the password itself never reaches the server.
   */
  async unlock(request: LoginRequest, deviceToken: DeviceToken, refreshToken: RefreshToken): Promise<ResumedSession> {
    const { user, keys, demand } = await this.checkSecret('login', 'session.unlock', request, 'authHash', request.authKey, deviceToken);
    const session = await this.sessions.rotate(refreshToken, user.userId);
    await this.clearClientFailures(keys, demand);
    await this.audit.allow({ subjectId: user.userId, action: 'session.unlock', reason: keys.isKnownDevice ? 'known device' : 'new device' });
    return this.sessionStarter.resume(user, session);
  }

  /** Ends the session of this refresh token; audited when it named a session. */
  async logout(refreshToken: string | undefined): Promise<void> {
    const user = await this.sessions.end(refreshToken);
    if (user) await this.audit.allow({ subjectId: user.userId, action: 'session.logout' });
  }

  /**
   * The recovery code, checked under the same throttle as the password step,
   * and this client's count cleared once it is proven. A recovery code is
   * itself a high-entropy second secret (DESIGN 4.2): it signs in without the
   * security key, so a lost key does not lock the account holder out, and the
   * key can then be removed from the account page.
   */
  async verifyRecoveryCode(action: AuditAction, request: SecretRequest & { recoveryAuthKey: string }, deviceToken: DeviceToken): Promise<AuthUser> {
    const { user, keys, demand } = await this.checkSecret('recovery', action, request, 'recoveryAuthHash', request.recoveryAuthKey, deviceToken);
    await this.clearClientFailures(keys, demand);
    return user;
  }

  /**
   * The account an email names (if any), the throttle's keys for this client
   * (a known device of that account, or else the IP), what it must bring, and
   * the stored secret: one statement after the account lookup
   * (SignInFactsRepository), the same one for an unknown email.
   */
  private async attemptOn(purpose: ProofOfWorkPurpose, rawEmail: string, deviceToken: DeviceToken, secret: SecretColumn): Promise<Attempt> {
    const email = normalizeEmail(rawEmail);
    const account = await this.users.findAccountByEmailAsActor(email);
    const deviceTokenHash = account ? this.devices.tokenHashOf(account.userId, deviceToken) : null;
    const deviceKeys = deviceTokenHash ? this.throttle.keysFor(purpose, email, { deviceId: this.devices.deviceIdOf(deviceTokenHash) }) : null;
    const ipKeys = this.throttle.keysFor(purpose, email, { ip: this.db.meta().ip });
    const facts = await this.facts.read({
      userId: account?.userId ?? null,
      secret,
      deviceTokenHash,
      accountKey: ipKeys.account,
      deviceClientKey: deviceKeys?.client ?? null,
      ipClientKey: ipKeys.client,
      failureWindowSeconds: this.throttle.failureWindowSeconds,
    });
    const keys = deviceKeys && this.devices.isLive(facts.deviceExpiresAt) ? deviceKeys : ipKeys;
    const clientFailures = keys === ipKeys ? facts.ipClientFailures : facts.deviceClientFailures;
    return {
      email,
      account,
      subjectId: account?.userId ?? AUDIT_SYSTEM_SUBJECT,
      keys,
      demand: this.throttle.demandOf(keys, { accountFailures: facts.accountFailures, clientFailures }),
      storedHash: account ? facts.storedHash : null,
      hasSecurityKey: facts.hasSecurityKey,
      hasTotp: facts.hasTotp,
    };
  }

  /** A secret proven from this client: its own failures start again (nothing to delete when it had none in the window). */
  private async clearClientFailures(keys: ThrottleKeys, demand: Demand): Promise<void> {
    if (demand.clientFailures > 0) await this.throttle.recordSuccess(keys);
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
  ): Promise<{ user: AuthUser; keys: ThrottleKeys; demand: Demand; hasSecurityKey: boolean; hasTotp: boolean }> {
    const { email, account, subjectId, keys, demand, storedHash, hasSecurityKey, hasTotp } = await this.attemptOn(purpose, request.email, deviceToken, field);
    if (demand.bits > 0 || request.proofOfWork) {
      const refusal = await this.proofOfWork.refusal(request.proofOfWork, { email, purpose, bits: demand.bits });
      if (refusal) {
        await this.db.becomeActor(ANONYMOUS);
        this.recordFailure(keys, subjectId, action, `proof of work ${refusal}: ${describeDemand(purpose, demand)}`);
        throw ApiError.proofOfWorkRequired();
      }
    }
    const isValid = await this.hasher.verify(storedHash, presented);
    if (!account || !isValid) {
      await this.db.becomeActor(ANONYMOUS);
      this.recordFailure(keys, subjectId, action, account ? 'wrong credentials' : 'unknown account');
      throw new ApiError(401, ERROR_CODES.invalidCredentials, 'Email or password is incorrect');
    }
    return { user: account, keys, demand, hasSecurityKey, hasTotp };
  }

  private recordFailure(keys: ThrottleKeys, subjectId: string, action: AuditAction, reason: string): void {
    this.audit.deny({ subjectId, action, reason });
    this.db.deferWrite(() => this.throttle.recordFailure(keys));
  }

  private async emailOf(userId: string): Promise<string> {
    return (await this.users.get(userId)).email;
  }
}

function describeDemand(purpose: ProofOfWorkPurpose, demand: Demand): string {
  const work = demand.bits > 0 ? `${demand.bits} bits demanded` : 'no work demanded';
  return `${work} for ${purpose} (${demand.accountFailures} failures on the account, ${demand.clientFailures} from this client)`;
}
