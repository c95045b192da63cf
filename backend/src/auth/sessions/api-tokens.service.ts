import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { API_TOKEN_SECONDS, type ApiTokenIssued, type ApiTokenList } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';
import { TokenService } from './token.service.js';

/**
 * An auditor's API tokens (issue 15; docs/protocol.md "API tokens"): a session of its own
 * (a refresh-token family of kind 'api', whose refresh token is thrown away, so it cannot be
 * refreshed) and one access token with scope "read" that lives API_TOKEN_SECONDS. Ending the
 * session ends the token at its next request (the session check of every request); the roles
 * guard refuses it anything but GET and HEAD. Issuing, listing and ending are audited in the
 * auditor's own trail; every read made with the token is audited as the route audits it.
 */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly audit: AuditService,
  ) {}

  async issue(user: AuthUser, label: string): Promise<ApiTokenIssued> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const createdAt = new Date(issuedAt * 1000);
    const expiresAt = new Date((issuedAt + API_TOKEN_SECONDS) * 1000);
    const sessionId = randomUUID();
    const { ip, userAgent } = this.db.meta();
    await this.refreshTokens.insertApiSession({
      id: randomUUID(),
      familyId: sessionId,
      familyStartedAt: createdAt,
      userId: user.userId,
      tokenHash: createHash('sha256').update(randomBytes(32)).digest(),
      expiresAt,
      ip,
      userAgent,
      label,
    });
    await this.audit.allow({ subjectId: user.userId, action: 'session.api-token-issue', reason: `API token ${sessionId} (${label}), read-only, until ${expiresAt.toISOString()}` });
    return {
      id: sessionId,
      label,
      createdAt: createdAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      accessToken: this.tokens.signApiToken({ userId: user.userId, role: user.role, sessionId }, issuedAt),
      expiresIn: API_TOKEN_SECONDS,
    };
  }

  async list(user: AuthUser): Promise<ApiTokenList> {
    const rows = await this.refreshTokens.listApiSessions(user.userId);
    await this.audit.allow({ subjectId: user.userId, action: 'session.api-token-list' });
    return { items: rows.map((row) => ({ id: row.family_id, label: row.label, createdAt: row.family_started_at.toISOString(), expiresAt: row.expires_at.toISOString() })) };
  }

  /** Another account's token, an ended or expired one and an unknown id all get the same 404. */
  async revoke(user: AuthUser, sessionId: string): Promise<void> {
    if (!(await this.refreshTokens.revokeApiSession(user.userId, sessionId))) {
      this.audit.deny({ subjectId: user.userId, action: 'session.api-token-revoke', reason: 'no such live API token' });
      throw ApiError.notFound('No such API token');
    }
    await this.audit.allow({ subjectId: user.userId, action: 'session.api-token-revoke', reason: `API token ${sessionId}` });
  }
}
