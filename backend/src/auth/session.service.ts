import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { ERROR_CODES, type Role } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Db } from '../db/db.service.js';
import type { AuthUser } from './auth-user.js';
import { RefreshTokenEntity } from './entities/refresh-token.entity.js';
import { TokenService } from './token.service.js';

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  /** Goes only into the httpOnly cookie. */
  refreshToken: string;
  refreshExpiresAt: Date;
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
  ) {}

  /** Starts a new family (sign-in) or continues one (rotation). */
  async issue(user: AuthUser, familyId: string = randomUUID()): Promise<IssuedSession> {
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshExpiresAt = new Date(Date.now() + this.config.refreshTokenSeconds * 1000);
    await this.repository().insert({
      id: randomUUID(),
      familyId,
      userId: user.userId,
      tokenHash: hashToken(refreshToken),
      expiresAt: refreshExpiresAt,
    });
    return {
      accessToken: this.tokens.signAccessToken(user),
      expiresIn: this.tokens.lifetimeSeconds,
      refreshToken,
      refreshExpiresAt,
    };
  }

  /** Exchanges a refresh token for a new pair; a token seen before revokes its whole family. */
  async rotate(refreshToken: string | undefined): Promise<IssuedSession> {
    const found = await this.findActive(refreshToken);
    if (found.token.usedAt || found.token.revokedAt) {
      if (found.token.usedAt && !found.token.revokedAt) this.revokeFamilyAfterReuse(found.token);
      throw new ApiError(401, ERROR_CODES.refreshReused, 'This session has ended; sign in again');
    }
    if (found.token.expiresAt.getTime() <= Date.now()) throw ApiError.unauthenticated('This session has expired; sign in again');
    await this.repository().update({ id: found.token.id }, { usedAt: new Date() });
    await this.audit.allow({ subjectId: found.user.userId, action: 'session.refresh' });
    return this.issue(found.user, found.token.familyId);
  }

  /** Ends the family of this refresh token (sign-out). Unknown, used or ended tokens end nothing. */
  async end(refreshToken: string | undefined): Promise<AuthUser | null> {
    const found = await this.findActive(refreshToken).catch(() => null);
    if (!found || found.token.usedAt || found.token.revokedAt) return null;
    await this.revokeFamily(found.token.familyId);
    return found.user;
  }

  /** Ends every session of the current user except, optionally, the one presenting `keepToken`. */
  async endAllSessions(userId: string, keepToken?: string): Promise<void> {
    const keep = keepToken ? await this.repository().findOneBy({ tokenHash: hashToken(keepToken), userId }) : null;
    await this.repository()
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .andWhere(keep ? 'family_id <> :familyId' : 'true', { familyId: keep?.familyId })
      .execute();
  }

  private async findActive(refreshToken: string | undefined): Promise<{ token: RefreshTokenEntity; user: AuthUser }> {
    if (!refreshToken || !/^[A-Za-z0-9_-]{43}$/.test(refreshToken)) throw ApiError.unauthenticated('No valid session');
    const tokenHash = hashToken(refreshToken);
    const [owner] = (await this.db.manager().query('SELECT user_id, role FROM auth_account_by_refresh_token($1)', [tokenHash])) as Array<{
      user_id: string;
      role: Role;
    }>;
    if (!owner) throw ApiError.unauthenticated('No valid session');
    const user: AuthUser = { userId: owner.user_id, role: owner.role };
    await this.db.becomeActor(user);
    // Row lock: two refreshes with one token are serialised, and the second sees it used.
    const token = await this.repository()
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.token_hash = :tokenHash', { tokenHash })
      .getOneOrFail();
    return { token, user };
  }

  private revokeFamilyAfterReuse(token: RefreshTokenEntity): void {
    this.audit.deny({ subjectId: token.userId, action: 'session.refresh-reuse', reason: 'refresh token used twice; family revoked' });
    this.db.deferWrite(async (manager) => {
      await manager.getRepository(RefreshTokenEntity).update({ familyId: token.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
    });
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.repository().update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private repository() {
    return this.db.manager().getRepository(RefreshTokenEntity);
  }
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
