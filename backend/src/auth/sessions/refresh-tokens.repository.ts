import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import type { Role } from '@phr/shared-types';
import { Db } from '../../db/db.service.js';
import { prepared } from '../../db/prepared-statements.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';

/** A live family as the sessions list shows it. */
export interface ActiveFamilyRow {
  family_id: string;
  family_started_at: Date;
  created_at: Date;
  ip: string | null;
  user_agent: string | null;
}

type NewRefreshToken = Pick<RefreshTokenEntity, 'id' | 'familyId' | 'familyStartedAt' | 'userId' | 'tokenHash' | 'expiresAt' | 'ip' | 'userAgent'>;

/**
 * The one INSERT of both kinds of session, plain SQL and a named prepared
 * statement, not the entity's insert builder: every sign-in and refresh runs
 * it (issue 14). `created_at` is the database's now() unless given (an API
 * token's is its family's start).
 */
const INSERT_TOKEN = prepared(
  `INSERT INTO refresh_tokens (id, family_id, family_started_at, created_at, user_id, token_hash, expires_at, ip, user_agent, kind, label)
   VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()), $5, $6, $7, $8, $9, $10, $11)`,
);

function insertParameters(token: NewRefreshToken, session: { kind: 'browser' | 'api'; label: string | null; createdAt: Date | null }): unknown[] {
  return [
    token.id,
    token.familyId,
    token.familyStartedAt,
    session.createdAt,
    token.userId,
    token.tokenHash,
    token.expiresAt,
    token.ip,
    token.userAgent,
    session.kind,
    session.label,
  ];
}

/** The `refresh_tokens` table (RLS: the account itself); a row is one token of a family (a signed-in browser). */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly db: Db) {}

  /** A browser's token, at sign-in and at each refresh. */
  async insert(token: NewRefreshToken): Promise<void> {
    await this.db.manager().query(INSERT_TOKEN, insertParameters(token, { kind: 'browser', label: null, createdAt: null }));
  }

  /** An API token's session (kind 'api', docs/protocol.md "API tokens"); its refresh token hash is of a value nobody holds. */
  async insertApiSession(token: NewRefreshToken & { label: string }): Promise<void> {
    await this.db.manager().query(INSERT_TOKEN, insertParameters(token, { kind: 'api', label: token.label, createdAt: token.familyStartedAt }));
  }

  /** The user's API tokens not ended and not expired, newest first. */
  listApiSessions(userId: string): Promise<Array<Pick<ActiveFamilyRow, 'family_id' | 'family_started_at'> & { label: string; expires_at: Date }>> {
    return this.db.manager().query(
      `SELECT family_id, family_started_at, label, expires_at FROM refresh_tokens
        WHERE user_id = $1 AND kind = 'api' AND revoked_at IS NULL AND expires_at > now()
        ORDER BY family_started_at DESC`,
      [userId],
    );
  }

  /** Ends one live API token of this user; false when there was none. */
  async revokeApiSession(userId: string, familyId: string): Promise<boolean> {
    const [, affected] = await this.db
      .manager()
      .query<[unknown, number]>(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND user_id = $2 AND kind = 'api' AND revoked_at IS NULL AND expires_at > now()`, [familyId, userId]);
    return affected > 0;
  }

  /** The account a token hash belongs to, before the caller is known (a SECURITY DEFINER function). */
  async ownerOf(tokenHash: Buffer): Promise<AuthUser | null> {
    const [owner] = await this.db.manager().query<Array<{ user_id: string; role: Role }>>('SELECT user_id, role FROM auth_account_by_refresh_token($1)', [tokenHash]);
    return owner ? { userId: owner.user_id, role: owner.role } : null;
  }

  /** The token row, locked: two refreshes with one token are serialised, and the second sees it used. */
  lockByHash(tokenHash: Buffer): Promise<RefreshTokenEntity> {
    return this.table().createQueryBuilder('t').setLock('pessimistic_write').where('t.token_hash = :tokenHash', { tokenHash }).getOneOrFail();
  }

  findOfUser(tokenHash: Buffer, userId: string): Promise<RefreshTokenEntity | null> {
    return this.table().findOneBy({ tokenHash, userId });
  }

  async markUsed(id: string): Promise<void> {
    await this.table().update({ id }, { usedAt: new Date() });
  }

  /** Revokes the family's live tokens; `manager` for a deferred write after a rollback (Db.deferWrite). */
  async revokeFamily(familyId: string, manager: EntityManager = this.db.manager()): Promise<void> {
    await manager.getRepository(RefreshTokenEntity).update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /** Revokes one live browser session (family) of this user; false when there was none. An API token's session is ended through its own route. */
  async revokeFamilyOf(userId: string, familyId: string): Promise<boolean> {
    const [, affected] = await this.db
      .manager()
      .query<[unknown, number]>(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND user_id = $2 AND kind = 'browser' AND revoked_at IS NULL`, [familyId, userId]);
    return affected > 0;
  }

  /** Revokes every live family of the user, but the one named. */
  async revokeAllBut(userId: string, keepFamilyId: string | undefined): Promise<void> {
    await this.table()
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .andWhere(keepFamilyId ? 'family_id <> :familyId' : 'true', { familyId: keepFamilyId })
      .execute();
  }

  /**
   * The user's families with an unused, unrevoked, unexpired token within the session limits,
   * once each (two tabs refreshing at once leave a family two such tokens: SessionService.rotate),
   * as of its newest one; newest first.
   */
  listActive(userId: string, idleSeconds: number, maxSeconds: number): Promise<ActiveFamilyRow[]> {
    return this.db.manager().query<ActiveFamilyRow[]>(
      `SELECT * FROM (
         SELECT DISTINCT ON (family_id) family_id, family_started_at, created_at, ip, user_agent FROM refresh_tokens
          WHERE user_id = $1 AND kind = 'browser' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            AND created_at > now() - make_interval(secs => $2) AND family_started_at > now() - make_interval(secs => $3)
          ORDER BY family_id, created_at DESC) AS families
        ORDER BY created_at DESC`,
      [userId, idleSeconds, maxSeconds],
    );
  }

  /** Tokens used, revoked or expired before `before` go (a definer function: the sweep runs with no user); returns how many. */
  async purgeEnded(before: Date): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>('SELECT purge_ended_refresh_tokens($1) AS count', [before]);
    return Number(row.count);
  }

  private table() {
    return this.db.manager().getRepository(RefreshTokenEntity);
  }
}
