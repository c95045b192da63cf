import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type AuditAction } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { LoginThrottle } from '../sign-in/login-throttle.service.js';
import { CredentialsRepository } from './credentials.repository.js';
import { PasswordHasher } from './password-hasher.js';

/** The current password asked again before a grave step, for any module that has one. */
@Injectable()
export class Reauthentication {
  constructor(
    private readonly db: Db,
    private readonly credentials: CredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
  ) {}

  /**
   * Re-authentication before a grave step (password change, erasure, removing
   * a security key): the auth key of the current password. It needs a valid
   * session already, so it is counted per session: after LOGIN_FREE_FAILURES
   * wrong ones that session waits REAUTH_DELAY_SECONDS, doubling up to
   * REAUTH_MAX_DELAY_SECONDS, and no other session or sign-in is touched.
   * A wrong one is audited as `action` and answered with 403.
   */
  async proveCurrentPassword(user: AuthUser, currentAuthKey: string, action: AuditAction): Promise<void> {
    const credential = await this.credentials.findByUser(user.userId);
    // A token outlives an erased account by up to its 15 minutes; it signs nothing in.
    if (!credential) throw ApiError.unauthenticated('This account no longer exists');
    const key = this.throttle.reauthKey(user.userId, user.sessionId);
    const wait = await this.throttle.reauthWaitSeconds(key);
    if (wait > 0) {
      this.audit.deny({ subjectId: user.userId, action, reason: 'held back after repeated wrong passwords in this session' });
      throw ApiError.tooManyRequests(wait);
    }
    if (!(await this.hasher.verify(credential.authHash, currentAuthKey))) {
      this.audit.deny({ subjectId: user.userId, action, reason: 'current password is wrong' });
      this.db.deferWrite(async () => {
        const seconds = await this.throttle.recordReauthFailure(key);
        if (seconds === null) return;
        await this.audit.record({ subjectId: user.userId, action: 'session.lockout', outcome: 'deny', reason: `re-authentication in this session held back for ${seconds} s` });
      });
      throw new ApiError(403, ERROR_CODES.invalidCredentials, 'The current password is not correct');
    }
    await this.throttle.recordReauthSuccess(key);
  }
}
