import { Inject, Injectable } from '@nestjs/common';
import type { ActiveSession, SessionList } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { RefreshTokensRepository, type ActiveFamilyRow } from './refresh-tokens.repository.js';
import { KnownDevices } from '../sign-in/known-devices.service.js';

/**
 * The user's signed-in browsers (ASVS 3.3.4): each is a refresh token family
 * whose newest token is unused, unrevoked, unexpired and within the session
 * limits. Ending one revokes its family; its access tokens stop at the next
 * request (assertAccountExists). RLS shows a user only their own tokens.
 */
@Injectable()
export class ActiveSessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly audit: AuditService,
    private readonly devices: KnownDevices,
  ) {}

  async list(user: AuthUser): Promise<SessionList> {
    const rows = await this.refreshTokens.listActive(user.userId, this.config.session.idleSeconds, this.config.session.maxSeconds);
    await this.audit.allow({ subjectId: user.userId, action: 'session.list' });
    return { items: rows.map((row) => toActiveSession(row, user.sessionId)) };
  }

  /**
   * Another user's session, an ended one and an unknown id all get the same
   * 404. The browser whose sign-in started the session is no longer a known
   * device either (docs/architecture.md "Sessions"): "this was not me" should
   * not leave it a way around the proof of work.
   */
  async revoke(user: AuthUser, sessionId: string): Promise<void> {
    if (!(await this.refreshTokens.revokeFamilyOf(user.userId, sessionId))) {
      this.audit.deny({ subjectId: user.userId, action: 'session.revoke', reason: 'no such active session' });
      throw ApiError.notFound('No such session');
    }
    await this.devices.forgetSession(user.userId, sessionId);
    await this.audit.allow({ subjectId: user.userId, action: 'session.revoke', reason: sessionId === user.sessionId ? 'this session' : 'another session' });
  }
}

function toActiveSession(row: ActiveFamilyRow, currentSessionId: string | undefined): ActiveSession {
  return {
    id: row.family_id,
    createdAt: row.family_started_at.toISOString(),
    lastUsedAt: row.created_at.toISOString(),
    userAgent: row.user_agent,
    ip: row.ip,
    isCurrent: row.family_id === currentSessionId,
  };
}
