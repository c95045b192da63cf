import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AuthUser } from './auth-user.js';

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

  signAccessToken(user: AuthUser): string {
    return jwt.sign({ role: user.role }, this.key, {
      algorithm: JWT_ALGORITHM,
      keyid: this.keyId,
      subject: user.userId,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.lifetimeSeconds,
      jwtid: randomUUID(),
    });
  }
}
