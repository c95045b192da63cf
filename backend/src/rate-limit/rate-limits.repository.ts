import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/** A key's window as the shared table holds it, with the database's clock at the time of the read. */
export interface SharedCount {
  key: string;
  windowStartedAt: Date;
  hits: number;
}

/** Hits counted by one instance since its last sync, for a window it believes started at `windowStartedAt`. */
export interface UnsyncedHits {
  key: string;
  windowStartedAt: Date;
  hits: number;
}

/**
 * The SQL of `rate_limits` (migration 1764730000000): fixed-window counters
 * keyed by `<limit name>:<HMAC of the client>`, shared by every API instance.
 * Each statement runs alone on the statement pool (Db.queryAlone), outside any
 * request's transaction; rate-limiter.service.ts calls them at most once per
 * key and window (read) and once per sync interval (sync), never per request.
 */
@Injectable()
export class RateLimitsRepository {
  constructor(private readonly db: Db) {}

  /** The key's row if any, and the database's clock. */
  async read(key: string): Promise<{ count: SharedCount | null; now: Date }> {
    const [row] = await this.db.queryAlone<Array<{ now: Date; window_started_at: Date | null; hits: number | null }>>(
      `SELECT now() AS now, r.window_started_at, r.hits FROM (SELECT 1) AS one LEFT JOIN rate_limits r ON r.key = $1`,
      [key],
    );
    const count = row.window_started_at && row.hits !== null ? { key, windowStartedAt: row.window_started_at, hits: row.hits } : null;
    return { count, now: row.now };
  }

  /**
   * One statement for a whole sync: adds each key's unsynced hits to its row
   * (a row whose window ended, by the window of its limit in
   * `windowSecondsByName`, starts again at the instance's window with those
   * hits), and reads back the rows of the keys with no new hits. Returns the
   * rows of every key given that has one, and the database's clock.
   */
  async sync(unsynced: UnsyncedHits[], windowSecondsByName: Record<string, number>): Promise<{ counts: SharedCount[]; now: Date }> {
    const rows = await this.db.queryAlone<Array<{ now: Date; key: string | null; window_started_at: Date | null; hits: number | null }>>(
      `WITH given AS (
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[]) AS g(key, window_started_at, hits)
       ), counted AS (
         INSERT INTO rate_limits AS r (key, window_started_at, hits)
         SELECT key, window_started_at, hits FROM given WHERE hits > 0
         ON CONFLICT (key) DO UPDATE SET
           window_started_at = CASE WHEN r.window_started_at <= now() - make_interval(secs => ($4::jsonb ->> split_part(r.key, ':', 1))::float8)
             THEN excluded.window_started_at ELSE r.window_started_at END,
           hits = CASE WHEN r.window_started_at <= now() - make_interval(secs => ($4::jsonb ->> split_part(r.key, ':', 1))::float8)
             THEN excluded.hits ELSE r.hits + excluded.hits END
         RETURNING r.key, r.window_started_at, r.hits
       ), counts AS (
         SELECT key, window_started_at, hits FROM counted
         UNION ALL
         SELECT r.key, r.window_started_at, r.hits FROM rate_limits r JOIN given g ON g.key = r.key WHERE g.hits = 0
       )
       SELECT now() AS now, c.key, c.window_started_at, c.hits FROM (SELECT 1) AS one LEFT JOIN counts c ON true`,
      [unsynced.map((u) => u.key), unsynced.map((u) => u.windowStartedAt), unsynced.map((u) => u.hits), JSON.stringify(windowSecondsByName)],
    );
    const counts = rows.flatMap((row) => (row.key && row.window_started_at && row.hits !== null ? [{ key: row.key, windowStartedAt: row.window_started_at, hits: row.hits }] : []));
    return { counts, now: rows[0].now };
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
