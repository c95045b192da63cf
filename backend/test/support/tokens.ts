/** Access tokens a test may need to forge, to prove the API refuses them. */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '@phr/shared-types';

interface ForgeOptions {
  userId?: string;
  /** Any string: tests also forge roles the API does not know. */
  role?: string;
  secret?: string;
  keyId?: string;
  algorithm?: jwt.Algorithm;
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** Signs a token the way the API does, with any detail changed. */
export function forgeToken(secretBase64: string, options: ForgeOptions = {}): string {
  const key = createSecretKey(Buffer.from(options.secret ?? secretBase64, 'base64'));
  return jwt.sign({ role: options.role ?? 'patient' }, key, {
    algorithm: options.algorithm ?? 'HS256',
    keyid: options.keyId ?? 'k1',
    subject: options.userId ?? randomUUID(),
    issuer: options.issuer ?? 'phr-api',
    audience: options.audience ?? 'phr-portal',
    expiresIn: options.expiresInSeconds ?? 600,
  });
}

/** An unsigned token (`alg: none`) with otherwise valid claims. */
export function unsignedToken(userId: string, role: Role = 'patient'): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${encode({ sub: userId, role, iat: now, exp: now + 600, iss: 'phr-api', aud: 'phr-portal' })}.`;
}

export function otherSecret(): string {
  return randomBytes(32).toString('base64');
}

/** The ways a bearer token can be wrong, each of which must give 401. */
export function badTokens(secretBase64: string, userId: string): Record<string, string> {
  return {
    'an expired token': forgeToken(secretBase64, { userId, expiresInSeconds: -60 }),
    'a token signed with another key': forgeToken(secretBase64, { userId, secret: otherSecret() }),
    'an unsigned token (alg none)': unsignedToken(userId),
    'a token with an unknown key id': forgeToken(secretBase64, { userId, keyId: 'k2' }),
    'a token signed with another algorithm (HS512)': forgeToken(secretBase64, { userId, algorithm: 'HS512' }),
    'a token from another issuer': forgeToken(secretBase64, { userId, issuer: 'someone-else' }),
    'a token with an unknown role': forgeToken(secretBase64, { userId, role: 'admin' }),
    'a malformed token': 'not.a.jwt',
  };
}
