import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ConsentsModule } from '../consents/consents.module.js';
import { ConsentSweeper } from './consent-sweeper.js';
import { OrphanReconciler } from './orphan-reconciler.js';
import { SessionSweeper } from './session-sweeper.js';
import { SweepScheduler } from './sweep-scheduler.js';
import { TrashSweeper } from './trash-sweeper.js';
import { UploadSweeper } from './upload-sweeper.js';

/**
 * Scheduled work, above the features it sweeps: the sweeps of expired
 * uploads, consents, the trash and sign-in state, and the reconciliation of the object
 * store, run by SweepScheduler (tests call each job directly).
 */
@Module({
  imports: [AuthModule, AccessModule, ConsentsModule],
  providers: [SweepScheduler, UploadSweeper, TrashSweeper, ConsentSweeper, SessionSweeper, OrphanReconciler],
})
export class JobsModule {}
