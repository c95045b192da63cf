import { createSecretKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { userOfAccessToken } from './access-token-claims.js';
import type { AuthUser } from './auth-user.js';

/** The one algorithm access tokens are signed and accepted with (DESIGN 8). */
export const JWT_ALGORITHM = 'HS256';
export const JWT_ISSUER = 'phr-api';
export const JWT_AUDIENCE = 'phr-portal';

/** How many verified tokens AccessTokens remembers (a few per active session; oldest forgotten first). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Verifies the bearer token of a request, once per request: the rate-limit
 * guard (which keys a request by its user) and the JWT guard (which admits
 * it) both ask, and the second gets the first's answer. One algorithm, our
 * issuer and audience, our key id in the header (jsonwebtoken checks the
 * signature and `exp`), then the claims rules of userOfAccessToken. The key
 * is made into a KeyObject once (TOOLCHAIN: ~40x faster to verify).
 *
 * A token whose signature, algorithm, issuer, audience and key id passed is
 * remembered by its exact text with its payload, so the next request with the
 * same token skips the parsing and the HMAC (issue 14: a third of the token
 * work of a read). Only what does not change over time is taken from memory:
 * the claims rules, `exp` and `iat` against the clock included, run again on
 * every request; a token carrying `nbf` is never remembered; an expired one is
 * forgotten. Only tokens signed with our key get in, so the memory is bounded
 * by what we issued, and by VERIFIED_TOKENS_KEPT. Session liveness is not a
 * property of the token: the request's transaction checks it (beginAs).
 */
@Injectable()
export class AccessTokens {
  readonly key: KeyObject;
  readonly keyId: string;
  private readonly verified = new WeakMap<object, AuthUser | null>();
  /** Token text -> its verified payload (see above); a Map keeps insertion order, the oldest is evicted first. */
  private readonly verifiedTokens = new Map<string, jwt.JwtPayload>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = createSecretKey(config.jwt.secret);
    this.keyId = config.jwt.keyId;
  }

  /** The caller named by the request's valid bearer token, or null (no token, or one that fails any rule). */
  userOf(request: FastifyRequest): AuthUser | null {
    if (this.verified.has(request)) return this.verified.get(request) ?? null;
    const user = this.verify(bearerTokenOf(request));
    this.verified.set(request, user);
    return user;
  }

  private verify(rawToken: string | undefined): AuthUser | null {
    if (!rawToken) return null;
    const remembered = this.verifiedTokens.get(rawToken);
    if (remembered !== undefined) {
      const user = userOfAccessToken(remembered);
      if (!user) this.verifiedTokens.delete(rawToken);
      return user;
    }
    let verified: jwt.Jwt;
    try {
      verified = jwt.verify(rawToken, this.key, { algorithms: [JWT_ALGORITHM], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, complete: true });
    } catch {
      return null;
    }
    const { header, payload } = verified;
    if (header.kid !== this.keyId || typeof payload !== 'object') return null;
    const user = userOfAccessToken(payload);
    if (user && payload.nbf === undefined) this.remember(rawToken, payload);
    return user;
  }

  private remember(rawToken: string, payload: jwt.JwtPayload): void {
    if (this.verifiedTokens.size >= VERIFIED_TOKENS_KEPT) {
      const oldest = this.verifiedTokens.keys().next();
      if (!oldest.done) this.verifiedTokens.delete(oldest.value);
    }
    this.verifiedTokens.set(rawToken, Object.freeze(payload));
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme in any case),
 * read as passport-jwt read it before: the first two words of the header.
 */
export function bearerTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  // Anchored: unanchored, a long header with no space made the engine retry every start (16 KB: ~1 s of CPU).
  const [, scheme, token] = /^\s*(\S+)\s+(\S+)/.exec(header) ?? [];
  return scheme?.toLowerCase() === 'bearer' ? token : undefined;
}
