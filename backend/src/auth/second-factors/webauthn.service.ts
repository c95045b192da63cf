import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import {
  WEBAUTHN_ALGORITHMS,
  WEBAUTHN_CHALLENGE_SECONDS,
  type AssertionCredential,
  type AuthenticatorTransport,
  type RegistrationCredential,
  type SecondFactorChallenge,
  type SecurityKeyEnrolment,
} from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import type { SecurityKeyEntity } from './security-key.entity.js';
import { SecurityKeysRepository } from './security-keys.repository.js';
import { WebAuthnChallengesRepository } from './webauthn-challenges.repository.js';

type ChallengePurpose = 'enrol' | 'sign-in';

/** A challenge taken out of the store: it cannot be answered twice. */
export interface ConsumedChallenge {
  challenge: string;
  keyName: string | null;
  isLive: boolean;
}

/** What an enrolment proved: the new credential, ready to store. */
export interface EnrolledCredential {
  credentialId: string;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
}

/** A WebAuthn response that does not prove what it must; `reason` goes to the audit trail, never to the caller. */
export class SecurityKeyRefusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const TIMEOUT_MS = WEBAUTHN_CHALLENGE_SECONDS * 1000;

/**
 * The WebAuthn ceremonies (ASVS 2.3.2): single-use challenges in PostgreSQL,
 * options for the browser, and verification of what the authenticator signed.
 * The relying party is the portal: its origin is PORTAL_ORIGIN and its RP ID
 * that origin's host, so a key enrolled for one deployment answers no other.
 */
@Injectable()
export class WebAuthn {
  private readonly origin: string;
  private readonly rpId: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly db: Db,
    private readonly securityKeys: SecurityKeysRepository,
    private readonly challenges: WebAuthnChallengesRepository,
  ) {
    this.origin = config.portalOrigin;
    this.rpId = new URL(config.portalOrigin).hostname;
  }

  /** Options for navigator.credentials.create(); the caller's own keys are excluded so one key is not enrolled twice. */
  async enrolmentChallenge(user: AuthUser, keyName: string, account: { email: string; displayName: string }): Promise<SecurityKeyEnrolment> {
    const { challengeToken, challenge } = await this.issueChallenge(user.userId, 'enrol', keyName);
    const existing = await this.keysOf(user.userId);
    return {
      challengeToken,
      options: {
        challenge,
        rp: { id: this.rpId, name: 'Patient-held records' },
        user: { id: Buffer.from(user.userId.replaceAll('-', ''), 'hex').toString('base64url'), name: account.email, displayName: account.displayName },
        pubKeyCredParams: WEBAUTHN_ALGORITHMS.map((alg) => ({ type: 'public-key' as const, alg })),
        timeout: TIMEOUT_MS,
        excludeCredentials: existing.map(descriptorOf),
        authenticatorSelection: { residentKey: 'discouraged', userVerification: 'preferred' },
        attestation: 'none',
      },
    };
  }

  /**
   * The second step of a sign-in, or null for an account without a second factor (it signs in
   * with the password alone). The token is single use whichever factor answers it: the security
   * key's assertion (POST /auth/login/webauthn) or, with `acceptsTotp`, an authenticator app's
   * code (POST /auth/login/totp).
   */
  async signInChallenge(userId: string, acceptsTotp: boolean): Promise<SecondFactorChallenge | null> {
    const keys = await this.keysOf(userId);
    if (keys.length === 0 && !acceptsTotp) return null;
    const { challengeToken, challenge } = await this.issueChallenge(userId, 'sign-in', null);
    if (keys.length === 0) return { secondFactor: 'totp', challengeToken };
    return {
      secondFactor: 'webauthn',
      challengeToken,
      options: { challenge, rpId: this.rpId, timeout: TIMEOUT_MS, allowCredentials: keys.map(descriptorOf), userVerification: 'preferred' },
      acceptsTotp,
    };
  }

  /** Whose sign-in a challenge token belongs to, before anyone is signed in (a definer function: id and role only). */
  async ownerOfSignInChallenge(challengeToken: string): Promise<AuthUser | null> {
    return this.challenges.ownerOf(hashOf(challengeToken));
  }

  /**
   * Takes a challenge of the current actor out of the store. It is deleted in
   * the request's transaction and, should the request then fail, again in a
   * deferred write: a refused answer does not leave it open for another try.
   */
  async consumeChallenge(challengeToken: string, purpose: ChallengePurpose): Promise<ConsumedChallenge | null> {
    const tokenHash = hashOf(challengeToken);
    const row = await this.challenges.take(tokenHash, purpose);
    if (!row) return null;
    this.db.deferWrite((manager) => this.challenges.delete(tokenHash, manager));
    return { challenge: row.challenge, keyName: row.key_name, isLive: row.is_live };
  }

  /** Checks an attestation against its challenge, origin and RP ID. */
  async verifyEnrolment(challenge: ConsumedChallenge, credential: RegistrationCredential): Promise<EnrolledCredential> {
    if (!challenge.isLive) throw new SecurityKeyRefusal('challenge expired');
    const verification = await verifyRegistrationResponse({
      response: credential,
      expectedChallenge: challenge.challenge,
      expectedOrigin: this.origin,
      expectedRPID: this.rpId,
      requireUserVerification: false,
      supportedAlgorithmIDs: [...WEBAUTHN_ALGORITHMS],
    }).catch((error: unknown) => {
      throw new SecurityKeyRefusal(`attestation refused: ${messageOf(error)}`);
    });
    if (!verification.verified) throw new SecurityKeyRefusal('attestation not verified');
    const { credential: made } = verification.registrationInfo;
    return { credentialId: made.id, publicKey: Buffer.from(made.publicKey), signCount: made.counter, transports: made.transports ?? [] };
  }

  /**
   * Checks an assertion: the key must be one of the current actor's, the
   * signature over the challenge, origin and RP ID must hold, and the
   * signature counter must move forward (a smaller one means a cloned key).
   * The key's counter and last use are then updated.
   */
  async verifyAssertion(challenge: ConsumedChallenge, credential: AssertionCredential): Promise<SecurityKeyEntity> {
    if (!challenge.isLive) throw new SecurityKeyRefusal('challenge expired');
    const key = await this.securityKeys.findByCredentialId(credential.id);
    if (!key) throw new SecurityKeyRefusal('not a security key of this account');
    const verification = await verifyAuthenticationResponse({
      response: credential,
      expectedChallenge: challenge.challenge,
      expectedOrigin: this.origin,
      expectedRPID: this.rpId,
      credential: { id: key.credentialId, publicKey: new Uint8Array(key.publicKey), counter: key.signCount, transports: key.transports },
      requireUserVerification: false,
    }).catch((error: unknown) => {
      throw new SecurityKeyRefusal(`assertion refused: ${messageOf(error)}`);
    });
    if (!verification.verified) throw new SecurityKeyRefusal('assertion not verified');
    await this.securityKeys.recordUse(key.id, verification.authenticationInfo.newCounter);
    return key;
  }

  private async issueChallenge(userId: string, purpose: ChallengePurpose, keyName: string | null): Promise<{ challengeToken: string; challenge: string }> {
    const challengeToken = randomBytes(32).toString('base64url');
    const challenge = randomBytes(32).toString('base64url');
    // Housekeeping in the same step: a user's unanswered challenges go once they have expired.
    await this.challenges.insert(hashOf(challengeToken), userId, purpose, challenge, keyName, WEBAUTHN_CHALLENGE_SECONDS);
    return { challengeToken, challenge };
  }

  private keysOf(userId: string): Promise<SecurityKeyEntity[]> {
    return this.securityKeys.listOf(userId);
  }
}

function hashOf(challengeToken: string): Buffer {
  return createHash('sha256').update(challengeToken).digest();
}

function descriptorOf(key: SecurityKeyEntity) {
  return { type: 'public-key' as const, id: key.credentialId, transports: key.transports as AuthenticatorTransport[] };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
