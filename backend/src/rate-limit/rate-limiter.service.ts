import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type RateLimitName } from '../config/app-config.js';
import { RateLimitsRepository, type SharedCount } from './rate-limits.repository.js';

export interface RateVerdict {
  isAllowed: boolean;
  /** Seconds until the client's window starts again. */
  retryAfterSeconds: number;
  /** The first refused request of this window at this instance: the one worth an audit row. */
  isFirstRefusal: boolean;
}

/**
 * Limits whose every hit reads the shared count first. The per-address mail
 * limit of registration starts must cost the same whether or not this
 * instance saw the address lately (a start must not tell who registered
 * within the hour: registration.spec.ts "the same statements"); such starts
 * are rare, so the read costs little.
 */
const READ_ON_EVERY_HIT: ReadonlySet<RateLimitName> = new Set(['registrationMail']);

/** One key's window as this instance sees it. Times are on the database's clock, in ms. */
interface Counter {
  windowSeconds: number;
  startedAt: number;
  /** The shared table's count at the last read or sync (this instance's synced hits included). */
  shared: number;
  /** Hits counted here since the last sync. */
  unsynced: number;
  /** Hits handed to the shared table by syncs so far (only grows): what a hit's place must give up when a sync took the hits before it. */
  synced: number;
  hasRefused: boolean;
  /** The first read of the shared count, while it is under way. */
  loading: Promise<void> | null;
}

/**
 * Fixed-window request counters (ASVS 8.1.4), one per limit and client,
 * shared by every API instance through PostgreSQL (`rate_limits`) but off the
 * requests' commit path (decisions.md, "Rate limits count in memory and sync
 * in batches"). Each instance counts in memory; every RATE_LIMIT_SYNC_MS it
 * sends its new hits of all keys in one statement and reads back the shared
 * counts. A verdict is the shared count at the last sync plus the hits here
 * since; the first hit of a key's window at an instance reads the shared count
 * first (one SELECT per client and window, no commit). What other instances
 * counted since the last sync is not seen yet: the overshoot is at most their
 * hits in about one sync interval (plus a statement's latency).
 * The client (a user id or an IP) is stored only as an HMAC. Counters of
 * ended windows are deleted by the retention sweep (SessionSweeper), and
 * forgotten here at the first sync after their window ends.
 */
@Injectable()
export class RateLimiter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimiter');
  private readonly hmacKey: Buffer;
  private readonly counters = new Map<string, Counter>();
  /** Each client's HMAC as counters name it, kept while its counters are (issue 14: one HMAC per request was ~1% of a read's CPU). */
  private readonly clientHmacs = new Map<string, string>();
  private readonly windowSecondsByName: Record<string, number>;
  /** Database clock minus this process's clock, from the last answer (windows are on the database's clock, as the sweep's are). */
  private clockOffsetMs = 0;
  private isStoreDown = false;
  private isSyncing = false;
  private lastSync: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: RateLimitsRepository,
  ) {
    this.hmacKey = config.preloginSecret;
    this.windowSecondsByName = Object.fromEntries(Object.entries(config.rateLimits).map(([name, limit]) => [name, limit.windowSeconds]));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.isSyncing) void this.sync().catch(() => undefined);
    }, this.config.rateLimitSyncMilliseconds);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sync().catch(() => undefined);
  }

  /** Counts one request of `client` ("user:<id>" or "ip:<address>") against limit `name`. */
  async hit(name: RateLimitName, client: string): Promise<RateVerdict> {
    const { limit, windowSeconds } = this.config.rateLimits[name];
    const key = `${name}:${this.hmacOf(client)}`;
    let counter = this.counters.get(key);
    if (!counter || this.hasEnded(counter)) {
      counter = this.open(key, windowSeconds);
      this.counters.set(key, counter);
    } else if (READ_ON_EVERY_HIT.has(name) && !counter.loading && !this.isStoreDown) {
      this.load(key, counter, this.lastSync);
    }
    counter.unsynced += 1;
    // This hit's place among the hits here since the last sync. A sync never takes a counter whose read is under way, but one
    // already sending when the read began may take the hits before this one into the shared count meanwhile: they count once.
    const place = counter.unsynced;
    const syncedBefore = counter.synced;
    if (counter.loading) await counter.loading;
    const hits = counter.shared + place - (counter.synced - syncedBefore);
    const isAllowed = hits <= limit;
    const isFirstRefusal = !isAllowed && !counter.hasRefused;
    if (!isAllowed) counter.hasRefused = true;
    const secondsLeft = (counter.startedAt + counter.windowSeconds * 1000 - this.now()) / 1000;
    return { isAllowed, retryAfterSeconds: Math.max(1, Math.ceil(secondsLeft)), isFirstRefusal };
  }

  /**
   * Sends the hits counted since the last sync, in one statement, and reads
   * back the shared counts of every key this instance holds. Runs every
   * RATE_LIMIT_SYNC_MS; callable directly (tests, shutdown). A failed sync
   * keeps its hits for the next one.
   */
  sync(): Promise<void> {
    const run = this.lastSync.then(() => this.syncOnce());
    this.lastSync = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(): Promise<void> {
    this.isSyncing = true;
    try {
      const batch: Array<{ key: string; counter: Counter; hits: number }> = [];
      // Forgotten with the counters they name, at most a window late.
      if (this.clientHmacs.size > this.counters.size) this.clientHmacs.clear();
      for (const [key, counter] of this.counters) {
        if (counter.loading) continue;
        // Hits of an ended window no longer decide anything.
        if (this.hasEnded(counter)) this.counters.delete(key);
        else batch.push({ key, counter, hits: counter.unsynced });
      }
      if (batch.length === 0) return;
      const unsynced = batch.map(({ key, counter, hits }) => ({ key, windowStartedAt: new Date(counter.startedAt), hits }));
      const { counts, now } = await this.store.sync(unsynced, this.windowSecondsByName).catch((error: unknown) => {
        if (!this.isStoreDown) this.logger.warn(`rate-limit counters not synced, counting here until the database answers: ${String(error)}`);
        this.isStoreDown = true;
        throw error;
      });
      this.noteStoreClock(now);
      const byKey = new Map(counts.map((count) => [count.key, count]));
      for (const { key, counter, hits } of batch) {
        counter.unsynced -= hits;
        counter.synced += hits;
        this.adopt(counter, byKey.get(key) ?? null);
      }
    } finally {
      this.isSyncing = false;
    }
  }

  /** A new window for `key` here, starting now unless the shared table holds a current one. */
  private open(key: string, windowSeconds: number): Counter {
    const counter: Counter = { windowSeconds, startedAt: this.now(), shared: 0, unsynced: 0, synced: 0, hasRefused: false, loading: null };
    // While the database is down, count here from zero rather than wait for it on every new client.
    if (!this.isStoreDown) this.load(key, counter);
    return counter;
  }

  /**
   * Reads the key's shared count into the counter (one SELECT, no commit); a sync leaves the counter alone meanwhile.
   * A counter a sync may hold already reads after `syncing` ends, so that an older count never replaces what that sync adopted.
   */
  private load(key: string, counter: Counter, syncing: Promise<void> = Promise.resolve()): void {
    counter.loading = syncing
      .then(() => this.store.read(key))
      .then(({ count, now }) => {
        this.noteStoreClock(now);
        if (count && count.windowStartedAt.getTime() + counter.windowSeconds * 1000 > now.getTime()) this.adopt(counter, count);
        else counter.shared = 0;
      })
      .catch(() => {
        this.isStoreDown = true;
      })
      .finally(() => {
        counter.loading = null;
      });
  }

  /** Takes the shared row's window and count; no row (deleted, swept) means nothing counted elsewhere. */
  private adopt(counter: Counter, count: SharedCount | null): void {
    if (!count) {
      counter.shared = 0;
      counter.hasRefused = false;
      return;
    }
    counter.startedAt = count.windowStartedAt.getTime();
    // A row of an ended window (set back by hand, or not yet restarted) ends this one too: the next hit opens a fresh one.
    counter.shared = this.hasEnded(counter) ? 0 : count.hits;
  }

  private noteStoreClock(storeNow: Date): void {
    this.isStoreDown = false;
    this.clockOffsetMs = storeNow.getTime() - Date.now();
  }

  private hmacOf(client: string): string {
    let hmac = this.clientHmacs.get(client);
    if (hmac === undefined) {
      hmac = createHmac('sha256', this.hmacKey).update(client).digest('base64url');
      this.clientHmacs.set(client, hmac);
    }
    return hmac;
  }

  private hasEnded(counter: Counter): boolean {
    return counter.startedAt + counter.windowSeconds * 1000 <= this.now();
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }
}
