import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SessionSweeper } from './session-sweeper.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UploadSweeper } from './upload-sweeper.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { OrphanReconciler } from './orphan-reconciler.js';
import { ConsentSweeper } from './consent-sweeper.js';
import { TrashSweeper } from './trash-sweeper.js';

/**
 * Runs the sweeps every SWEEP_INTERVAL_SECONDS, and the reconciliation of the
 * store against the database every RECONCILE_INTERVAL_SECONDS (0 turns a timer
 * off; tests call the sweeps directly).
 */
@Injectable()
export class SweepScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Sweeps');
  private timer: NodeJS.Timeout | null = null;
  /** The sweep under way, if any: shutdown waits for it before the database pool closes. */
  private running: Promise<void> | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  /** The reconciliation under way, if any: shutdown waits for it too. */
  private reconciling: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uploads: UploadSweeper,
    private readonly consents: ConsentSweeper,
    private readonly trash: TrashSweeper,
    private readonly sessions: SessionSweeper,
    private readonly objectDeletions: ObjectDeletions,
    private readonly reconciler: OrphanReconciler,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.records.sweepIntervalSeconds;
    if (seconds > 0) {
      this.timer = setInterval(() => {
        // A sweep slower than the interval is not started twice.
        this.running ??= this.runAll().finally(() => (this.running = null));
      }, seconds * 1000);
      this.timer.unref();
    }
    const reconcileSeconds = this.config.records.reconcileIntervalSeconds;
    if (reconcileSeconds > 0) {
      this.reconcileTimer = setInterval(() => {
        this.reconciling ??= this.reconciler
          .reconcile()
          .then(() => undefined, (error: unknown) => this.logger.error(`Reconciliation failed: ${error instanceof Error ? error.message : String(error)}`))
          .finally(() => (this.reconciling = null));
      }, reconcileSeconds * 1000);
      this.reconcileTimer.unref();
    }
  }

  /** Runs before every module's onApplicationShutdown, so before DbModule closes the pool. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.timer = null;
    this.reconcileTimer = null;
    await Promise.all([this.running, this.reconciling]);
  }

  private async runAll(): Promise<void> {
    for (const [name, sweep] of [
      ['uploads', () => this.uploads.sweep()],
      ['consents', () => this.consents.sweep()],
      ['trash', () => this.trash.sweep()],
      ['sessions', () => this.sessions.sweep()],
      // Objects whose deletion committed but whose removal did not finish (a crash, a store that was down).
      ['object deletions', () => this.objectDeletions.drain()],
    ] as const) {
      await sweep().catch((error: unknown) => this.logger.error(`Sweep of ${name} failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}
