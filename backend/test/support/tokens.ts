/** Access tokens a test may need to forge, to prove the API refuses them. */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '@phr/shared-types';
import { REFRESH_REUSE_GRACE_SECONDS } from '../../src/auth/sessions/session.service.js';
import { TEST_JWT_SECRET, type TestApp } from './test-app.js';

interface ForgeOptions {
  userId?: string;
  /** Any string: tests also forge roles the API does not know. */
  role?: string;
  /** The `sid` claim (a random one by default); null leaves the claim out. */
  sessionId?: string | null;
  secret?: string;
  keyId?: string;
  algorithm?: jwt.Algorithm;
  /** Seconds from `iat` to `exp`; null leaves `exp` out. */
  expiresInSeconds?: number | null;
  /** Seconds from now to the `iat` claim (0 by default); null leaves `iat` out. */
  issuedInSeconds?: number | null;
  issuer?: string;
  audience?: string;
  /** The `scope` claim (an API token's "read"); left out by default. */
  scope?: string;
}

/** Signs a token the way the API does, with any detail changed. */
export function forgeToken(secretBase64: string, options: ForgeOptions = {}): string {
  const key = createSecretKey(Buffer.from(options.secret ?? secretBase64, 'base64'));
  const sessionId = options.sessionId === undefined ? randomUUID() : options.sessionId;
  const issuedIn = options.issuedInSeconds === undefined ? 0 : options.issuedInSeconds;
  const expiresIn = options.expiresInSeconds === undefined ? 600 : options.expiresInSeconds;
  const claims = {
    role: options.role ?? 'patient',
    ...(sessionId === null ? {} : { sid: sessionId }),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    ...(issuedIn === null ? {} : { iat: Math.floor(Date.now() / 1000) + issuedIn }),
  };
  return jwt.sign(claims, key, {
    algorithm: options.algorithm ?? 'HS256',
    keyid: options.keyId ?? 'k1',
    subject: options.userId ?? randomUUID(),
    issuer: options.issuer ?? 'phr-api',
    audience: options.audience ?? 'phr-portal',
    ...(expiresIn === null ? {} : { expiresIn }),
    ...(issuedIn === null ? { noTimestamp: true } : {}),
  });
}

/**
 * A token the API accepts for an account made outside it (auditors from
 * insertAuditor): a live session row, as a sign-in leaves one, and a token
 * that names it.
 */
export async function sessionTokenFor(api: Pick<TestApp, 'adminQuery'>, userId: string, role: Role): Promise<string> {
  const sessionId = randomUUID();
  await api.adminQuery(
    `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, family_started_at, expires_at)
     VALUES ($1, $1, $2, $3, now(), now() + interval '1 hour')`,
    [sessionId, userId, randomBytes(32)],
  );
  return forgeToken(TEST_JWT_SECRET, { userId, role, sessionId });
}

/** An unsigned token (`alg: none`) with otherwise valid claims. */
export function unsignedToken(userId: string, sessionId: string, role: Role = 'patient'): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { sub: userId, role, sid: sessionId, iat: now, exp: now + 600, iss: 'phr-api', aud: 'phr-portal' };
  return `${encode({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${encode(claims)}.`;
}

export function otherSecret(): string {
  return randomBytes(32).toString('base64');
}

/** The `sid` claim of a token the API issued: the session it belongs to. */
export function sessionIdOf(accessToken: string): string {
  return (jwt.decode(accessToken) as { sid: string }).sid;
}

/**
 * The ways a bearer token can be wrong, each of which must give 401. They name
 * a live session of the user (`sessionId`), so that only the flaw named is wrong.
 */
export function badTokens(secretBase64: string, userId: string, sessionId: string): Record<string, string> {
  return {
    'an expired token': forgeToken(secretBase64, { userId, sessionId, expiresInSeconds: -60 }),
    'a token signed with another key': forgeToken(secretBase64, { userId, sessionId, secret: otherSecret() }),
    'an unsigned token (alg none)': unsignedToken(userId, sessionId),
    'a token with an unknown key id': forgeToken(secretBase64, { userId, sessionId, keyId: 'k2' }),
    'a token signed with another algorithm (HS512)': forgeToken(secretBase64, { userId, sessionId, algorithm: 'HS512' }),
    'a token from another issuer': forgeToken(secretBase64, { userId, sessionId, issuer: 'someone-else' }),
    'a token for another audience': forgeToken(secretBase64, { userId, sessionId, audience: 'someone-else' }),
    'a token with an unknown role': forgeToken(secretBase64, { userId, sessionId, role: 'admin' }),
    'a token without exp': forgeToken(secretBase64, { userId, sessionId, expiresInSeconds: null }),
    'a token without sid': forgeToken(secretBase64, { userId, sessionId: null }),
    'a token without iat': forgeToken(secretBase64, { userId, sessionId, issuedInSeconds: null }),
    'a token issued a minute in the future': forgeToken(secretBase64, { userId, sessionId, issuedInSeconds: 60 }),
    'a token that lives longer than 15 minutes': forgeToken(secretBase64, { userId, sessionId, expiresInSeconds: 3600 }),
    'a malformed token': 'not.a.jwt',
  };
}

/**
 * Moves every use of the user's refresh tokens back past the window in which a just-rotated
 * token is still accepted (another tab's refresh: SessionService.rotate), as if that much time
 * had passed: a replay after it is reuse.
 */
export async function ageRefreshUse(api: Pick<TestApp, 'adminQuery'>, userId: string, seconds = REFRESH_REUSE_GRACE_SECONDS + 1): Promise<void> {
  await api.adminQuery('UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $2) WHERE user_id = $1 AND used_at IS NOT NULL', [userId, seconds]);
}
