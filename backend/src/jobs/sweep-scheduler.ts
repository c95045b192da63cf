import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
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
  /** The sweeps; each one that fails is logged by itself and the others still run. */
  private readonly sweeps = new PeriodicTask(
    () => this.runAll(),
    (error) => this.logger.error(`Sweeps failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  private readonly reconciliation = new PeriodicTask(
    () => this.reconciler.reconcile(),
    (error) => this.logger.error(`Reconciliation failed: ${error instanceof Error ? error.message : String(error)}`),
  );

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
    this.sweeps.start(this.config.records.sweepIntervalSeconds);
    this.reconciliation.start(this.config.records.reconcileIntervalSeconds);
  }

  /** Runs before every module's onApplicationShutdown, so before DbModule closes the pool: a run under way finishes first. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.sweeps.stop(), this.reconciliation.stop()]);
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
