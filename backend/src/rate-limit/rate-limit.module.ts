import { Global, Module } from '@nestjs/common';
import { RateLimitsRepository } from './rate-limits.repository.js';

/**
 * The request counters' table. Global: the rate limiter and its guard are
 * provided where the guards are registered (auth.module.ts), and the
 * retention sweep deletes ended windows; both reach the table through this
 * repository.
 */
@Global()
@Module({ providers: [RateLimitsRepository], exports: [RateLimitsRepository] })
export class RateLimitModule {}
