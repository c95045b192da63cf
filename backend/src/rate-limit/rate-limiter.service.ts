import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type RateLimitName } from '../config/app-config.js';
import { RateLimitsRepository } from './rate-limits.repository.js';

export interface RateVerdict {
  isAllowed: boolean;
  /** Seconds until the client's window starts again. */
  retryAfterSeconds: number;
  /** The first refused request of this window: the one worth an audit row. */
  isFirstRefusal: boolean;
}

/**
 * Fixed-window request counters (ASVS 8.1.4), one per limit and client, in
 * PostgreSQL so every API instance counts against the same ones. The client
 * (a user id or an IP) is stored only as an HMAC. One statement per hit, on
 * its own: the counting must not depend on the request's transaction. Counters
 * of ended windows are deleted by the retention sweep (SessionSweeper).
 */
@Injectable()
export class RateLimiter {
  private readonly hmacKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly counters: RateLimitsRepository,
  ) {
    this.hmacKey = config.preloginSecret;
  }

  /** Counts one request of `client` ("user:<id>" or "ip:<address>") against limit `name`. */
  async hit(name: RateLimitName, client: string): Promise<RateVerdict> {
    const { limit, windowSeconds } = this.config.rateLimits[name];
    const key = `${name}:${createHmac('sha256', this.hmacKey).update(client).digest('base64url')}`;
    const { hits, secondsLeft } = await this.counters.hit(key, windowSeconds);
    return { isAllowed: hits <= limit, retryAfterSeconds: Math.max(1, Math.ceil(secondsLeft)), isFirstRefusal: hits === limit + 1 };
  }
}
