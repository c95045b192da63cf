import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Db } from '../db/db.service.js';
import { LoginThrottleEntity } from './entities/login-throttle.entity.js';

/** Counters older than this start again from zero. */
const FAILURE_WINDOW_MS = 24 * 3600 * 1000;

export interface ThrottleKeys {
  account: string;
  ip: string | null;
}

export interface FailureOutcome {
  /** The failure that started (or extended) a lockout of the account or the IP. */
  lockedForSeconds: number | null;
}

/**
 * Failed sign-ins, limited per account and per IP with a lockout that doubles
 * with every further failure (DESIGN 8). Counters live in PostgreSQL, so every
 * API instance sees the same ones.
 */
@Injectable()
export class LoginThrottle {
  private readonly limits: AppConfig['loginThrottle'];
  private readonly hmacKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly db: Db,
  ) {
    this.limits = config.loginThrottle;
    this.hmacKey = config.preloginSecret;
  }

  /** Keys for a purpose ('login', 'recovery'); the email is never stored, only its HMAC. */
  keysFor(purpose: string, email: string, ip: string | null): ThrottleKeys {
    const digest = (value: string) => createHmac('sha256', this.hmacKey).update(value).digest('base64url');
    return { account: `${purpose}:acct:${digest(email)}`, ip: ip ? `${purpose}:ip:${digest(ip)}` : null };
  }

  /** Seconds until the account or IP may try again, or 0. */
  async retryAfterSeconds(keys: ThrottleKeys): Promise<number> {
    const rows = await this.db.manager().getRepository(LoginThrottleEntity).findBy(keyList(keys).map((key) => ({ key })));
    const now = Date.now();
    const waits = rows.map((row) => (row.lockedUntil ? (row.lockedUntil.getTime() - now) / 1000 : 0));
    return Math.max(0, ...waits);
  }

  async recordFailure(keys: ThrottleKeys): Promise<FailureOutcome> {
    const accountLock = await this.bump(keys.account, this.limits.maxFailures);
    const ipLock = keys.ip ? await this.bump(keys.ip, this.limits.maxFailures * this.limits.ipFactor) : null;
    const locks = [accountLock, ipLock].filter((seconds): seconds is number => seconds !== null);
    return { lockedForSeconds: locks.length ? Math.max(...locks) : null };
  }

  async recordSuccess(keys: ThrottleKeys): Promise<void> {
    await this.db.manager().getRepository(LoginThrottleEntity).delete({ key: keys.account });
  }

  /**
   * Deletes counters that no longer count (retention, ASVS 8.3.8): untouched
   * for a whole failure window, so the next failure would start from zero, and
   * with no lockout still running. Returns how many went.
   */
  async purgeStale(now: Date = new Date()): Promise<number> {
    const result = await this.db
      .manager()
      .createQueryBuilder()
      .delete()
      .from(LoginThrottleEntity)
      .where('updated_at < :windowStart AND (locked_until IS NULL OR locked_until < :now)', { windowStart: new Date(now.getTime() - FAILURE_WINDOW_MS), now })
      .execute();
    return result.affected ?? 0;
  }

  /** Adds a failure; returns the lockout it starts, if any. */
  private async bump(key: string, allowed: number): Promise<number | null> {
    const [row] = await this.db.manager().query<Array<{ failures: number }>>(
      `INSERT INTO login_throttle AS t (key, failures, updated_at) VALUES ($1, 1, now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.updated_at < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
         updated_at = now()
       RETURNING failures`,
      [key, FAILURE_WINDOW_MS / 1000],
    );
    if (row.failures < allowed) return null;
    const seconds = Math.min(this.limits.baseLockoutSeconds * 2 ** (row.failures - allowed), this.limits.maxLockoutSeconds);
    await this.db.manager().query(`UPDATE login_throttle SET locked_until = now() + make_interval(secs => $2) WHERE key = $1`, [
      key,
      seconds,
    ]);
    return seconds;
  }
}

function keyList(keys: ThrottleKeys): string[] {
  return keys.ip ? [keys.account, keys.ip] : [keys.account];
}
