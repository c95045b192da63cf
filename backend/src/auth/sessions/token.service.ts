import { createHmac, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { API_TOKEN_SCOPE, API_TOKEN_SECONDS, SECOND_FACTOR_ENROLMENT_SCOPE } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AccessTokens, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../../identity/access-tokens.js';
import type { AuthUser } from '../../identity/auth-user.js';

/**
 * Signs short-lived access tokens with the key AccessTokens verifies them with.
 *
 * HS256 over a fixed header and the same claims, in the same order, as jsonwebtoken's `sign`
 * wrote them (issue 14: its option checks and stream-based signer were ~4% of the API's CPU per
 * sign-in); AccessTokens still verifies with jsonwebtoken, and access-tokens.spec checks that
 * what is signed here passes there.
 */
@Injectable()
export class TokenService {
  readonly lifetimeSeconds: number;
  private readonly encodedHeader: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly accessTokens: AccessTokens,
  ) {
    this.lifetimeSeconds = config.jwt.accessTokenSeconds;
    this.encodedHeader = base64url({ alg: JWT_ALGORITHM, typ: 'JWT', kid: accessTokens.keyId });
  }

  /** Every access token names its session (`sid`): ending the session ends the token (db/account-liveness.ts). */
  signAccessToken(user: AuthUser & { sessionId: string }): string {
    return this.sign(user, this.lifetimeSeconds, user.mustEnrolSecondFactor ? { scope: SECOND_FACTOR_ENROLMENT_SCOPE } : {});
  }

  /** An auditor's read-only API token (docs/protocol.md "API tokens"): scope "read", API_TOKEN_SECONDS. */
  signApiToken(user: AuthUser & { sessionId: string }, issuedAt: number): string {
    return this.sign(user, API_TOKEN_SECONDS, { scope: API_TOKEN_SCOPE }, issuedAt);
  }

  private sign(user: AuthUser & { sessionId: string }, lifetimeSeconds: number, extra: { scope?: string }, issuedAt = Math.floor(Date.now() / 1000)): string {
    const claims = {
      role: user.role,
      sid: user.sessionId,
      ...extra,
      iat: issuedAt,
      exp: issuedAt + lifetimeSeconds,
      aud: JWT_AUDIENCE,
      iss: JWT_ISSUER,
      sub: user.userId,
      jti: randomUUID(),
    };
    const signed = `${this.encodedHeader}.${base64url(claims)}`;
    return `${signed}.${createHmac('sha256', this.accessTokens.key).update(signed).digest('base64url')}`;
  }
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
