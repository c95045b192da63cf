import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUDIT_SYSTEM_SUBJECT } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { AccessTokens } from '../identity/access-tokens.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { requestMetaOf } from '../db/request-meta.js';
import { APP_CONFIG, type AppConfig, type RateLimitName } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { RATE_LIMITS } from './rate-limited.decorator.js';
import { RateLimiter } from './rate-limiter.service.js';

/**
 * Global guard, the first to run (ASVS 8.1.4): every request counts against
 * the general limit of its client (the user of a valid access token, else the
 * IP), and some routes against a stricter one too. Over a limit the answer is
 * 429 with Retry-After; every refusal is logged (refusal-log.ts) and the first
 * of each window at each instance is audited, so a flood leaves one row per
 * client and instance to alert on. The JWT is verified once per request:
 * AccessTokens keeps its answer for the JWT guard that runs next.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly tokens: AccessTokens,
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const user = this.tokens.userOf(request);
    const client = user ? `user:${user.userId}` : `ip:${request.ip}`;
    const stricter = this.reflector.getAllAndOverride<RateLimitName[] | undefined>(RATE_LIMITS, [context.getHandler(), context.getClass()]) ?? [];
    for (const name of ['general' as const, ...stricter]) {
      // Counted in memory and synced in batches (rate-limiter.service.ts): no statement of its own
      // here, and a database outage does not stop the counting (readiness still answers).
      const verdict = await this.limiter.hit(name, client);
      if (verdict.isAllowed) continue;
      if (verdict.isFirstRefusal) await this.auditRefusal(request, user, name);
      throw ApiError.tooManyRequests(verdict.retryAfterSeconds);
    }
    return true;
  }

  private async auditRefusal(request: FastifyRequest, user: AuthUser | null, name: RateLimitName): Promise<void> {
    const { limit, windowSeconds } = this.config.rateLimits[name];
    const route = `${request.method} ${request.routeOptions?.url ?? 'unknown route'}`;
    await this.db.run(user ?? ANONYMOUS, requestMetaOf(request), () =>
      this.audit.record({
        subjectId: user?.userId ?? AUDIT_SYSTEM_SUBJECT,
        action: 'route.rate-limit',
        outcome: 'deny',
        reason: `${name} limit of ${limit} requests per ${windowSeconds} s reached at ${route}`,
      }),
    );
  }
}
