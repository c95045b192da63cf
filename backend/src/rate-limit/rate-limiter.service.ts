import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type RateLimitName } from '../config/app-config.js';
import { Db } from '../db/db.service.js';

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
    private readonly db: Db,
  ) {
    this.hmacKey = config.preloginSecret;
  }

  /** Counts one request of `client` ("user:<id>" or "ip:<address>") against limit `name`. */
  async hit(name: RateLimitName, client: string): Promise<RateVerdict> {
    const { limit, windowSeconds } = this.config.rateLimits[name];
    const key = `${name}:${createHmac('sha256', this.hmacKey).update(client).digest('base64url')}`;
    const [row] = await this.db.queryAlone<Array<{ hits: number; seconds_left: number }>>(
      `INSERT INTO rate_limits AS r (key, window_started_at, hits) VALUES ($1, now(), 1)
       ON CONFLICT (key) DO UPDATE SET
         window_started_at = CASE WHEN r.window_started_at <= now() - make_interval(secs => $2) THEN now() ELSE r.window_started_at END,
         hits = CASE WHEN r.window_started_at <= now() - make_interval(secs => $2) THEN 1 ELSE r.hits + 1 END
       RETURNING hits, extract(epoch FROM r.window_started_at + make_interval(secs => $2) - now())::float8 AS seconds_left`,
      [key, windowSeconds],
    );
    return { isAllowed: row.hits <= limit, retryAfterSeconds: Math.max(1, Math.ceil(row.seconds_left)), isFirstRefusal: row.hits === limit + 1 };
  }
}
