import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { InvitationClaimsRepository } from '../auth/registration/invitation-claims.repository.js';
import { RegistrationTokensRepository } from '../auth/registration/registration-tokens.repository.js';
import { RefreshTokensRepository } from '../auth/sessions/refresh-tokens.repository.js';
import { KnownDevices } from '../auth/sign-in/known-devices.service.js';
import { LoginThrottle } from '../auth/sign-in/login-throttle.service.js';
import { ProofOfWork } from '../auth/sign-in/proof-of-work.service.js';
import { RateLimitsRepository } from '../rate-limit/rate-limits.repository.js';

export interface SessionSweepResult {
  refreshTokens: number;
  throttleCounters: number;
  knownDevices: number;
  spentChallenges: number;
  rateLimitCounters: number;
  auditorInvitations: number;
  registrationTokens: number;
}

/**
 * Retention of sign-in data (ASVS 8.3.8): refresh tokens that expired or were
 * revoked, and auditor invitations and registration tokens used or expired, go once
 * ENDED_SESSION_RETENTION_SECONDS have passed (kept that long to look into an
 * incident); sign-in failure counters, known devices past KNOWN_DEVICE_SECONDS,
 * spent proof-of-work challenges and request-rate counters go once they no
 * longer count. The audit trail keeps what happened in every session.
 */
@Injectable()
export class SessionSweeper {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly throttle: LoginThrottle,
    private readonly devices: KnownDevices,
    private readonly proofOfWork: ProofOfWork,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly registrationTokens: RegistrationTokensRepository,
    private readonly invitations: InvitationClaimsRepository,
    private readonly rateLimits: RateLimitsRepository,
  ) {}

  async sweep(now: Date = new Date()): Promise<SessionSweepResult> {
    const before = new Date(now.getTime() - this.config.endedSessionRetentionSeconds * 1000);
    return await this.db.runAsJob('retention', ANONYMOUS, async () => {
      return {
        refreshTokens: await this.refreshTokens.purgeEnded(before),
        throttleCounters: await this.throttle.purgeStale(now),
        knownDevices: await this.devices.purgeExpired(now),
        spentChallenges: await this.proofOfWork.purgeExpired(now),
        rateLimitCounters: await this.purgeEndedRateWindows(now),
        auditorInvitations: await this.invitations.purgeSpent(before),
        registrationTokens: await this.registrationTokens.purgeSpent(before),
      };
    });
  }

  /** Rate-limit counters whose window ended longer ago than the longest window (rate-limiter.service.ts). */
  private purgeEndedRateWindows(now: Date): Promise<number> {
    const longestWindowSeconds = Math.max(...Object.values(this.config.rateLimits).map((limit) => limit.windowSeconds));
    return this.rateLimits.deleteStartedBefore(now, longestWindowSeconds);
  }
}
