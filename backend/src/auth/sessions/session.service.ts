import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ERROR_CODES } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { SecondFactorPolicy } from '../second-factors/second-factor-policy.js';
import type { RefreshTokenEntity } from './refresh-token.entity.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';
import { TokenService } from './token.service.js';

/**
 * How long a just-rotated refresh token is still accepted (docs/protocol.md "Lock, reload and
 * new tabs"): two tabs share one cookie, and when both refresh at once the second brings the
 * token the first has just rotated. Within this window that is not counted as reuse.
 */
export const REFRESH_REUSE_GRACE_SECONDS = 30;

export interface IssuedSession {
  /** The refresh token family: the session's id in GET /sessions. */
  familyId: string;
  accessToken: string;
  expiresIn: number;
  /** Goes only into the httpOnly cookie. */
  refreshToken: string;
  refreshExpiresAt: Date;
  /** The access token may only enrol a second factor (SecondFactorPolicy). */
  mustEnrolSecondFactor: boolean;
}

/**
 * Sessions (DESIGN 8): a short access token and a refresh token that is
 * stored hashed, rotated on every use, and whose reuse revokes its family.
 */
@Injectable()
export class SessionService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly secondFactorPolicy: SecondFactorPolicy,
  ) {}

  /**
   * Starts a new family (sign-in) or continues one (rotation). The token expires
   * no later than the family's absolute limit, and the access token names the
   * family (`sid`), so ending the family ends it too. An account whose role
   * requires a second factor and has none gets an access token that may only
   * enrol one (SecondFactorPolicy).
   */
  async issue(user: AuthUser, family: { id: string; startedAt: Date } = { id: randomUUID(), startedAt: new Date() }): Promise<IssuedSession> {
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshExpiresAt = new Date(
      Math.min(Date.now() + this.config.refreshTokenSeconds * 1000, family.startedAt.getTime() + this.config.session.maxSeconds * 1000),
    );
    const { ip, userAgent } = this.db.meta();
    const mustEnrolSecondFactor = await this.secondFactorPolicy.mustEnrol(user);
    await this.refreshTokens.insert({
      id: randomUUID(),
      familyId: family.id,
      familyStartedAt: family.startedAt,
      userId: user.userId,
      tokenHash: hashToken(refreshToken),
      expiresAt: refreshExpiresAt,
      ip,
      userAgent,
    });
    return {
      familyId: family.id,
      accessToken: this.tokens.signAccessToken({ userId: user.userId, role: user.role, sessionId: family.id, mustEnrolSecondFactor }),
      expiresIn: this.tokens.lifetimeSeconds,
      refreshToken,
      refreshExpiresAt,
      mustEnrolSecondFactor,
    };
  }

  /**
   * Exchanges a refresh token for a new pair; a token seen before revokes its whole family,
   * unless it was used less than REFRESH_REUSE_GRACE_SECONDS ago (two tabs of one browser
   * refreshing at once: docs/protocol.md "Lock, reload and new tabs"). Then it gets a token of
   * its own in the same family, and is still a used token: after the window, reuse ends the
   * family. With `expectedUserId`, a token of another account is refused and nothing changes.
   */
  async rotate(refreshToken: string | undefined, expectedUserId?: string): Promise<IssuedSession> {
    const found = await this.findActive(refreshToken);
    if (expectedUserId !== undefined && found.user.userId !== expectedUserId) throw ApiError.unauthenticated('This browser’s session belongs to another account');
    const isConcurrent = found.token.usedAt !== null && Date.now() - found.token.usedAt.getTime() < REFRESH_REUSE_GRACE_SECONDS * 1000;
    if (found.token.revokedAt || (found.token.usedAt && !isConcurrent)) {
      if (found.token.usedAt && !found.token.revokedAt) this.revokeFamilyAfterReuse(found.token);
      throw new ApiError(401, ERROR_CODES.refreshReused, 'This session has ended; sign in again');
    }
    this.refuseBeyondLimits(found.token);
    if (found.token.expiresAt.getTime() <= Date.now()) throw ApiError.unauthenticated('This session has expired; sign in again');
    if (isConcurrent) {
      await this.audit.allow({ subjectId: found.user.userId, action: 'session.refresh', reason: 'a refresh of the same token moments ago (another tab)' });
    } else {
      await this.refreshTokens.markUsed(found.token.id);
      await this.audit.allow({ subjectId: found.user.userId, action: 'session.refresh' });
    }
    return this.issue(found.user, { id: found.token.familyId, startedAt: found.token.familyStartedAt });
  }

  /**
   * A new sign-in in a browser that still holds a session (after a reload, at a lock screen,
   * as another account): the session it held ends, so a browser has one session in the list.
   * Runs as the old token's owner (RLS); the caller then acts as the account signing in again.
   * An unknown, malformed or ended token ends nothing.
   */
  async endReplaced(refreshToken: string | undefined): Promise<void> {
    if (!refreshToken) return;
    const found = await this.findActive(refreshToken).catch((error: unknown) => {
      if (error instanceof ApiError) return null;
      throw error;
    });
    if (!found || found.token.revokedAt) return;
    await this.refreshTokens.revokeFamily(found.token.familyId);
    await this.audit.allow({ subjectId: found.user.userId, action: 'session.replace' });
  }

  /**
   * ASVS 3.3.2: a family that went longer than the idle limit without a
   * refresh, or began longer ago than the absolute limit, is ended and the
   * refusal audited; the portal then asks for the password.
   */
  private refuseBeyondLimits(token: RefreshTokenEntity): void {
    const now = Date.now();
    const { idleSeconds, maxSeconds } = this.config.session;
    let reason: string | null = null;
    if (now - token.familyStartedAt.getTime() >= maxSeconds * 1000) reason = `signed in more than ${maxSeconds} s ago`;
    else if (now - token.createdAt.getTime() >= idleSeconds * 1000) reason = `no refresh for more than ${idleSeconds} s`;
    if (!reason) return;
    this.audit.deny({ subjectId: token.userId, action: 'session.timeout', reason });
    this.db.deferWrite((manager) => this.refreshTokens.revokeFamily(token.familyId, manager));
    throw ApiError.unauthenticated('This session has timed out; sign in again');
  }

  /** Ends the family of this refresh token (sign-out). Unknown, used or ended tokens end nothing. */
  async end(refreshToken: string | undefined): Promise<AuthUser | null> {
    const found = await this.findActive(refreshToken).catch(() => null);
    if (!found || found.token.usedAt || found.token.revokedAt) return null;
    await this.refreshTokens.revokeFamily(found.token.familyId);
    return found.user;
  }

  /** Ends every session of the current user except, optionally, the one presenting `keepToken`. */
  async endAllSessions(userId: string, keepToken?: string): Promise<void> {
    const keep = keepToken ? await this.refreshTokens.findOfUser(hashToken(keepToken), userId) : null;
    await this.refreshTokens.revokeAllBut(userId, keep?.familyId);
  }

  /**
   * Ends every session of the user except the family `keepFamilyId`: the
   * caller's own, as its access token names it (routes outside /api/auth do
   * not receive the refresh cookie).
   */
  async endOtherSessions(userId: string, keepFamilyId: string | undefined): Promise<void> {
    await this.refreshTokens.revokeAllBut(userId, keepFamilyId);
  }

  private async findActive(refreshToken: string | undefined): Promise<{ token: RefreshTokenEntity; user: AuthUser }> {
    if (!refreshToken || !/^[A-Za-z0-9_-]{43}$/.test(refreshToken)) throw ApiError.unauthenticated('No valid session');
    const tokenHash = hashToken(refreshToken);
    const user = await this.refreshTokens.ownerOf(tokenHash);
    if (!user) throw ApiError.unauthenticated('No valid session');
    await this.db.becomeActor(user);
    const token = await this.refreshTokens.lockByHash(tokenHash);
    return { token, user };
  }

  private revokeFamilyAfterReuse(token: RefreshTokenEntity): void {
    this.audit.deny({ subjectId: token.userId, action: 'session.refresh-reuse', reason: 'refresh token used twice; family revoked' });
    this.db.deferWrite((manager) => this.refreshTokens.revokeFamily(token.familyId, manager));
  }

}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
