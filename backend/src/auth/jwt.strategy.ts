import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { ROLES as ALL_ROLES, type Role } from '@phr/shared-types';
import type { AuthUser } from './auth-user.js';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, TokenService } from './token.service.js';

interface AccessTokenPayload {
  sub?: unknown;
  role?: unknown;
  /** The session (refresh token family) the token was issued in. */
  sid?: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Verifies the bearer token: one algorithm, our issuer and audience, a known
 * key id in the header, not expired. Anything else is a 401.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(tokens: TokenService) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
      secretOrKeyProvider: (_request, rawToken: string, done) => {
        const keyId = headerKeyId(rawToken);
        if (keyId !== tokens.keyId) return done(new Error('unknown key id'));
        // jsonwebtoken accepts a KeyObject; passport-jwt's types only list string | Buffer.
        done(null, tokens.key as unknown as Buffer);
      },
    });
  }

  validate(payload: AccessTokenPayload): AuthUser | false {
    const { sub, role, sid } = payload;
    if (typeof sub !== 'string' || !UUID.test(sub)) return false;
    if (typeof role !== 'string' || !(ALL_ROLES as readonly string[]).includes(role)) return false;
    if (sid !== undefined && (typeof sid !== 'string' || !UUID.test(sid))) return false;
    return sid === undefined ? { userId: sub, role: role as Role } : { userId: sub, role: role as Role, sessionId: sid };
  }
}

function headerKeyId(rawToken: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(rawToken.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
