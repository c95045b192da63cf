import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { userOfAccessToken } from '../../identity/access-token-claims.js';
import type { AuthUser } from '../../identity/auth-user.js';

/** The one algorithm access tokens are signed and accepted with (DESIGN 8). */
export const JWT_ALGORITHM = 'HS256';
export const JWT_ISSUER = 'phr-api';
export const JWT_AUDIENCE = 'phr-portal';

/** Signs short-lived access tokens; the key is made into a KeyObject once (TOOLCHAIN: ~40x faster to verify). */
@Injectable()
export class TokenService {
  readonly key: KeyObject;
  readonly keyId: string;
  readonly lifetimeSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = createSecretKey(config.jwt.secret);
    this.keyId = config.jwt.keyId;
    this.lifetimeSeconds = config.jwt.accessTokenSeconds;
  }

  /** Every access token names its session (`sid`): ending the session ends the token (accounts.ts). */
  signAccessToken(user: AuthUser & { sessionId: string }): string {
    return jwt.sign({ role: user.role, sid: user.sessionId }, this.key, {
      algorithm: JWT_ALGORITHM,
      keyid: this.keyId,
      subject: user.userId,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.lifetimeSeconds,
      jwtid: randomUUID(),
    });
  }

  /**
   * The caller of a bearer token that verifies under the same rules as
   * JwtStrategy (userOfAccessToken), or null. For work that runs before the
   * guards: keying rate limits.
   */
  verifiedUser(rawToken: string | undefined): AuthUser | null {
    if (!rawToken) return null;
    try {
      const { header, payload } = jwt.verify(rawToken, this.key, { algorithms: [JWT_ALGORITHM], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, complete: true });
      return header.kid === this.keyId ? userOfAccessToken(payload) : null;
    } catch {
      return null;
    }
  }
}
