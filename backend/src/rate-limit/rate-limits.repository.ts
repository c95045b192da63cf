import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/**
 * The SQL of `rate_limits` (migration 1764730000000): fixed-window counters
 * keyed by limit and HMAC of the client.
 */
@Injectable()
export class RateLimitsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Counts one hit in the key's window, on a connection of its own outside the
   * request's transaction (Db.queryAlone): a window older than `windowSeconds`
   * starts again. Returns the window's hits and its seconds left.
   */
  async hit(key: string, windowSeconds: number): Promise<{ hits: number; secondsLeft: number }> {
    const [row] = await this.db.queryAlone<Array<{ hits: number; seconds_left: number }>>(
      `INSERT INTO rate_limits AS r (key, window_started_at, hits) VALUES ($1, now(), 1)
       ON CONFLICT (key) DO UPDATE SET
         window_started_at = CASE WHEN r.window_started_at <= now() - make_interval(secs => $2) THEN now() ELSE r.window_started_at END,
         hits = CASE WHEN r.window_started_at <= now() - make_interval(secs => $2) THEN 1 ELSE r.hits + 1 END
       RETURNING hits, extract(epoch FROM r.window_started_at + make_interval(secs => $2) - now())::float8 AS seconds_left`,
      [key, windowSeconds],
    );
    return { hits: row.hits, secondsLeft: row.seconds_left };
  }

  /** Deletes, in the current transaction, counters whose window started more than `seconds` before `now`; returns how many. */
  async deleteStartedBefore(now: Date, seconds: number): Promise<number> {
    const [row] = await this.db
      .manager()
      .query<Array<{ count: string }>>(
        `WITH gone AS (DELETE FROM rate_limits WHERE window_started_at < $1::timestamptz - make_interval(secs => $2) RETURNING 1) SELECT count(*) AS count FROM gone`,
        [now, seconds],
      );
    return Number(row.count);
  }
}
