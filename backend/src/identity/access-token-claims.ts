import { ACCESS_TOKEN_MAX_SECONDS, API_TOKEN_SCOPE, API_TOKEN_SECONDS, ROLES, SECOND_FACTOR_ENROLMENT_SCOPE, type Role } from '@phr/shared-types';
import type { AuthUser } from './auth-user.js';

/**
 * How far a token's `iat` may lie ahead of this server's clock: API instances'
 * clocks differ by a little, never by minutes. A token issued further in the
 * future was not issued by us (or by a server whose clock is wrong).
 */
export const TOKEN_CLOCK_SKEW_SECONDS = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The claims rules of an access token (DESIGN 8), in one place: AccessTokens
 * (access-tokens.ts) applies them once per request, for the rate-limit guard
 * and the JWT guard alike. The signature, algorithm, key id, issuer and
 * audience are checked before this by jsonwebtoken. Every claim the API issues
 * is required, so a token signed with the right key but made some other way
 * does not pass: `sub` a user id, `role` a known role, `sid` the session
 * (refresh-token family) it belongs to, `iat` not in the future beyond
 * TOKEN_CLOCK_SKEW_SECONDS, `exp` after now and at most
 * ACCESS_TOKEN_MAX_SECONDS after `iat`. An auditor's API token carries
 * `scope: "read"` (docs/protocol.md "API tokens"): it may live API_TOKEN_SECONDS,
 * is read-only (the roles guard). A session that must first enrol a second factor
 * carries `scope: "enrol-second-factor"` (docs/protocol.md "Second factors"): the roles
 * guard admits it to enrolment routes only. No other scope is accepted.
 */
export function userOfAccessToken(payload: unknown, nowSeconds: number = Math.floor(Date.now() / 1000)): AuthUser | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { sub, role, sid, iat, exp, scope } = payload as Record<string, unknown>;
  if (!isUuid(sub) || !isUuid(sid)) return null;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return null;
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) return null;
  if (scope !== undefined && scope !== API_TOKEN_SCOPE && scope !== SECOND_FACTOR_ENROLMENT_SCOPE) return null;
  const isReadOnly = scope === API_TOKEN_SCOPE;
  const [issuedAt, expiresAt] = [iat as number, exp as number];
  if (issuedAt > nowSeconds + TOKEN_CLOCK_SKEW_SECONDS) return null;
  if (expiresAt <= nowSeconds || expiresAt - issuedAt > (isReadOnly ? API_TOKEN_SECONDS : ACCESS_TOKEN_MAX_SECONDS)) return null;
  if (isReadOnly) return { userId: sub, role: role as Role, sessionId: sid, isReadOnly };
  if (scope === SECOND_FACTOR_ENROLMENT_SCOPE) return { userId: sub, role: role as Role, sessionId: sid, mustEnrolSecondFactor: true };
  return { userId: sub, role: role as Role, sessionId: sid };
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
