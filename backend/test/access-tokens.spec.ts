import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { ROUTES } from '@phr/shared-types';
import { TOKEN_CLOCK_SKEW_SECONDS } from '../src/identity/access-token-claims.js';
import { TokenService } from '../src/auth/sessions/token.service.js';
import { AccessTokens, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, bearerTokenOf } from '../src/identity/access-tokens.js';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, forgeToken, sessionIdOf } from './support/tokens.js';

/**
 * One rule for a bearer token, applied once per request (access-tokens.ts):
 * the rate-limit guard, which keys a request by its user, and the JWT guard,
 * which admits it, read the same verdict.
 */
describe('access tokens: one verification per request, one rule for every route', () => {
  let api: TestApp;
  let patient: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  const me = (token: string) => patient.client.send(ROUTES.me, { token });
  /** A route with a stricter rate limit of its own (doctorSearch) besides the general one. */
  const searchDoctors = (token: string) => patient.client.send(ROUTES.searchDoctors, { body: { q: 'zz' }, token });
  const flawed = () => ({
    ...badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)),
    [`a token issued ${TOKEN_CLOCK_SKEW_SECONDS + 30} s ahead of the clock`]: forgeToken(TEST_JWT_SECRET, {
      userId: patient.userId,
      sessionId: sessionIdOf(patient.token),
      issuedInSeconds: TOKEN_CLOCK_SKEW_SECONDS + 30,
    }),
    'a token whose sub is not a user id': forgeToken(TEST_JWT_SECRET, { userId: 'someone', sessionId: sessionIdOf(patient.token) }),
    'a token whose sid is not a session id': forgeToken(TEST_JWT_SECRET, { userId: patient.userId, sessionId: 'session' }),
  });

  it('admits the token the API issued on a plain route and on a rate-limited one', async () => {
    expect((await me(patient.token)).status).toBe(200);
    expect((await searchDoctors(patient.token)).status).toBe(200);
  });

  it('refuses every flawed token with the same 401 on a plain route and on a rate-limited route', async () => {
    for (const [flaw, token] of Object.entries(flawed())) {
      const [plain, limited] = [await me(token), await searchDoctors(token)];
      expect({ flaw, status: plain.status, code: plain.error?.code }).toEqual({ flaw, status: 401, code: 'UNAUTHENTICATED' });
      expect({ flaw, status: limited.status, code: limited.error?.code }).toEqual({ flaw, status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('reads a 16 KB Authorization header without a space in linear time, and still finds a token after leading spaces', () => {
    const request = (authorization: string) => ({ headers: { authorization } }) as unknown as FastifyRequest;
    const started = performance.now();
    expect(bearerTokenOf(request('a'.repeat(16_000)))).toBeUndefined();
    // The unanchored pattern took ~1 s here; the anchored one well under a millisecond.
    expect(performance.now() - started).toBeLessThan(100);
    expect(bearerTokenOf(request('  Bearer abc.def'))).toBe('abc.def');
  });

  it('reads the bearer scheme in any case, as before', async () => {
    const response = await patient.client.send(ROUTES.me, { headers: { authorization: `bearer ${patient.token}` } });
    expect(response.status).toBe(200);
  });

  it('signs a token byte for byte as jsonwebtoken signs the same claims, and verifies what it signs', () => {
    const tokens = new AccessTokens(api.config);
    const signer = new TokenService(api.config, tokens);
    const user = { userId: patient.userId, role: 'patient' as const, sessionId: sessionIdOf(patient.token) };
    const token = signer.signAccessToken(user);
    const { iat, jti } = jwt.decode(token) as jwt.JwtPayload;
    const byLibrary = jwt.sign({ role: user.role, sid: user.sessionId, iat }, tokens.key, {
      algorithm: JWT_ALGORITHM,
      keyid: tokens.keyId,
      subject: user.userId,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: signer.lifetimeSeconds,
      jwtid: jti,
    });
    expect(token).toBe(byLibrary);
    expect(tokens.userOf({ headers: { authorization: `Bearer ${token}` } } as unknown as FastifyRequest)).toEqual(user);
  });

  it('verifies a request’s token once and answers the same for that request, and verifies each new request afresh', () => {
    const tokens = new AccessTokens(api.config);
    const requestWith = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as FastifyRequest;
    const request = requestWith(patient.token);
    const first = tokens.userOf(request);
    expect(first).toEqual({ userId: patient.userId, role: 'patient', sessionId: sessionIdOf(patient.token) });
    request.headers.authorization = 'Bearer not.a.jwt';
    expect(tokens.userOf(request)).toBe(first);
    expect(tokens.userOf(requestWith('not.a.jwt'))).toBeNull();
    expect(tokens.userOf({ headers: {} } as unknown as FastifyRequest)).toBeNull();
  });

  it('remembers a verified token by its exact text but applies the clock on every request: once expired it is refused', async () => {
    const tokens = new AccessTokens(api.config);
    const requestWith = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as FastifyRequest;
    const shortLived = forgeToken(TEST_JWT_SECRET, { userId: patient.userId, sessionId: sessionIdOf(patient.token), expiresInSeconds: 2 });
    const user = { userId: patient.userId, role: 'patient', sessionId: sessionIdOf(patient.token) };
    expect(tokens.userOf(requestWith(shortLived))).toEqual(user);
    expect(tokens.userOf(requestWith(shortLived))).toEqual(user);
    // The same claims signed with another key, and the remembered token with one character in its signature changed.
    const otherKey = forgeToken(TEST_JWT_SECRET, { userId: patient.userId, sessionId: sessionIdOf(patient.token), secret: Buffer.alloc(32, 7).toString('base64') });
    const at = shortLived.length - 10;
    const tampered = `${shortLived.slice(0, at)}${shortLived[at] === 'Q' ? 'g' : 'Q'}${shortLived.slice(at + 1)}`;
    expect(tokens.userOf(requestWith(otherKey))).toBeNull();
    expect(tokens.userOf(requestWith(tampered))).toBeNull();
    const expiresAt = (JSON.parse(Buffer.from(shortLived.split('.')[1], 'base64url').toString()) as { exp: number }).exp;
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    expect(tokens.userOf(requestWith(shortLived))).toBeNull();
    expect((await me(shortLived)).status).toBe(401);
  });
});
