import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { userOfAccessToken } from './access-token-claims.js';
import type { AuthUser } from './auth-user.js';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, TokenService } from '../auth/sessions/token.service.js';

/**
 * Verifies the bearer token: one algorithm, our issuer and audience, a known
 * key id in the header, then the claims rules of userOfAccessToken (sub, role,
 * sid, iat not ahead of the clock, exp). Anything else is a 401.
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

  validate(payload: unknown): AuthUser | false {
    return userOfAccessToken(payload) ?? false;
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
