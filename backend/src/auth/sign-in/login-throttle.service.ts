import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { LoginThrottleRepository } from './login-throttle.repository.js';

/** Counters untouched for this long start again from zero. */
const FAILURE_WINDOW_MS = 24 * 3600 * 1000;

/** Who is trying: a known device of the account, or else the address it comes from. */
export type ThrottleClient = { deviceId: string } | { ip: string | null };

/** The two counters an attempt touches, both HMACs: no email, IP or device id is stored. */
export interface ThrottleKeys {
  /** Failures on the account from anywhere. */
  account: string;
  /** Failures on the account from this client. */
  client: string;
  isKnownDevice: boolean;
}

/** What an attempt must bring before its secret is checked. */
export interface Demand {
  /** Leading zero bits of the proof of work; 0 when none is needed. */
  bits: number;
  accountFailures: number;
  clientFailures: number;
}

/**
 * Failed sign-ins (docs/architecture.md "Sessions", ASVS 5.0 6.1.1). Nobody is
 * locked out: past LOGIN_FREE_FAILURES on an account, a client the account
 * does not know must bring a proof of work, one bit harder for each further
 * failure up to LOGIN_POW_MAX_BITS, which a browser solves in seconds. A known
 * device answers only for its own failures, so what others do from elsewhere
 * (or from behind the same address) never reaches it. Counters live in
 * PostgreSQL, shared by every API instance.
 */
@Injectable()
export class LoginThrottle {
  private readonly limits: AppConfig['loginThrottle'];
  private readonly hmacKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly counters: LoginThrottleRepository,
  ) {
    this.limits = config.loginThrottle;
    this.hmacKey = config.preloginSecret;
  }

  /** Keys for a purpose ('login', 'recovery'). */
  keysFor(purpose: string, email: string, client: ThrottleClient): ThrottleKeys {
    const clientId = 'deviceId' in client ? `device:${client.deviceId}` : `ip:${client.ip ?? 'unknown'}`;
    return {
      account: `${purpose}:acct:${this.digest(email)}`,
      client: `${purpose}:client:${this.digest(`${email}\n${clientId}`)}`,
      isKnownDevice: 'deviceId' in client,
    };
  }

  /**
   * The proof of work an attempt needs, from counts already read
   * (SignInFactsRepository reads them with the rest of an attempt's facts):
   * from the client's own failures, and, unless it is a known device, from the
   * account's.
   */
  demandOf(keys: ThrottleKeys, counts: { accountFailures: number; clientFailures: number }): Demand {
    const { accountFailures, clientFailures } = counts;
    const pressure = Math.max(clientFailures, keys.isKnownDevice ? 0 : accountFailures);
    const excess = pressure - this.limits.freeFailures;
    const bits = excess < 0 ? 0 : Math.min(this.limits.minBits + excess, this.limits.maxBits);
    return { bits, accountFailures, clientFailures };
  }

  /** Seconds within which failures count (a counter untouched for longer starts again). */
  readonly failureWindowSeconds = FAILURE_WINDOW_MS / 1000;

  /** Counts a failure on the account and on this client, in one statement. */
  async recordFailure(keys: ThrottleKeys): Promise<void> {
    await this.counters.bumpBoth(keys.account, keys.client, FAILURE_WINDOW_MS / 1000);
  }

  /** A secret proven from this client: its own count starts again. The account's does not, so an attacker who knows the password cannot reset it. */
  async recordSuccess(keys: ThrottleKeys): Promise<void> {
    await this.counters.delete(keys.client);
  }

  /** Re-authentication (a grave step in a signed-in session) is counted per session. */
  reauthKey(userId: string, sessionId: string | undefined): string {
    return `reauth:session:${this.digest(`${userId}\n${sessionId ?? 'no session'}`)}`;
  }

  /** Seconds this session must wait before its next re-authentication, or 0. */
  async reauthWaitSeconds(key: string): Promise<number> {
    const lockedUntil = await this.counters.lockedUntil(key);
    return lockedUntil ? Math.max(0, (lockedUntil.getTime() - Date.now()) / 1000) : 0;
  }

  /** Counts a wrong password in re-authentication; returns the wait it starts, if any. */
  async recordReauthFailure(key: string): Promise<number | null> {
    const failures = await this.bump(key);
    const excess = failures - this.limits.freeFailures;
    if (excess < 0) return null;
    const seconds = Math.min(this.limits.reauthDelaySeconds * 2 ** excess, this.limits.reauthMaxDelaySeconds);
    await this.counters.lockFor(key, seconds);
    return seconds;
  }

  async recordReauthSuccess(key: string): Promise<void> {
    await this.counters.delete(key);
  }

  /**
   * Deletes counters that no longer count (retention, ASVS 8.3.8): untouched
   * for a whole failure window, so the next failure would start from zero, and
   * with no wait still running. Returns how many went.
   */
  async purgeStale(now: Date = new Date()): Promise<number> {
    return this.counters.purgeStale(new Date(now.getTime() - FAILURE_WINDOW_MS), now);
  }

  /** Adds a failure; returns the count in the current window. */
  private bump(key: string): Promise<number> {
    return this.counters.bump(key, FAILURE_WINDOW_MS / 1000);
  }

  private digest(value: string): string {
    return createHmac('sha256', this.hmacKey).update(value).digest('base64url');
  }
}
