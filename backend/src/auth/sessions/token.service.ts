import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AccessTokens, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../../identity/access-tokens.js';
import type { AuthUser } from '../../identity/auth-user.js';

/** Signs short-lived access tokens with the key AccessTokens verifies them with. */
@Injectable()
export class TokenService {
  readonly lifetimeSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly accessTokens: AccessTokens,
  ) {
    this.lifetimeSeconds = config.jwt.accessTokenSeconds;
  }

  /** Every access token names its session (`sid`): ending the session ends the token (db/account-liveness.ts). */
  signAccessToken(user: AuthUser & { sessionId: string }): string {
    return jwt.sign({ role: user.role, sid: user.sessionId }, this.accessTokens.key, {
      algorithm: JWT_ALGORITHM,
      keyid: this.accessTokens.keyId,
      subject: user.userId,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.lifetimeSeconds,
      jwtid: randomUUID(),
    });
  }
}
