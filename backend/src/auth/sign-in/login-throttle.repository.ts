import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';
import { prepared } from '../../db/prepared-statements.js';
import { LoginThrottleEntity } from './login-throttle.entity.js';

/** The `login_throttle` table: failure counters keyed by HMACs (no per-user data, no RLS). */
@Injectable()
export class LoginThrottleRepository {
  constructor(private readonly db: Db) {}

  /** Adds a failure (starting again from one after a quiet window); returns the count. */
  async bump(key: string, windowSeconds: number): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ failures: number }>>(
      prepared(`INSERT INTO login_throttle AS t (key, failures, updated_at) VALUES ($1, 1, now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.updated_at < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
         updated_at = now()
       RETURNING failures`),
      [key, windowSeconds],
    );
    return row.failures;
  }

  /** Adds a failure to two counters (an attempt's account and client) in one statement. */
  async bumpBoth(first: string, second: string, windowSeconds: number): Promise<void> {
    await this.db.manager().query(
      prepared(`INSERT INTO login_throttle AS t (key, failures, updated_at) VALUES ($1, 1, now()), ($2, 1, now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.updated_at < now() - make_interval(secs => $3) THEN 1 ELSE t.failures + 1 END,
         updated_at = now()`),
      [first, second, windowSeconds],
    );
  }

  async lockedUntil(key: string): Promise<Date | null> {
    return (await this.table().findOneBy({ key }))?.lockedUntil ?? null;
  }

  async lockFor(key: string, seconds: number): Promise<void> {
    await this.db.manager().query(`UPDATE login_throttle SET locked_until = now() + make_interval(secs => $2) WHERE key = $1`, [key, seconds]);
  }

  async delete(key: string): Promise<void> {
    await this.table().delete({ key });
  }

  /** Deletes counters untouched since `windowStart` with no wait running at `now`; returns how many went. */
  async purgeStale(windowStart: Date, now: Date): Promise<number> {
    const result = await this.db
      .manager()
      .createQueryBuilder()
      .delete()
      .from(LoginThrottleEntity)
      .where('updated_at < :windowStart AND (locked_until IS NULL OR locked_until < :now)', { windowStart, now })
      .execute();
    return result.affected ?? 0;
  }

  private table() {
    return this.db.manager().getRepository(LoginThrottleEntity);
  }
}
