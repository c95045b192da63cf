import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RecordsModule } from '../records/records.module.js';
import { ConsentRewrapsController } from './consent-rewraps.controller.js';
import { ConsentRewraps } from './consent-rewraps.service.js';
import { ConsentSweeper } from '../jobs/consent-sweeper.js';
import { ConsentsController } from './consents.controller.js';
import { ConsentsService } from './consents.service.js';
import { SweepScheduler } from '../jobs/sweep-scheduler.js';

@Module({ imports: [RecordsModule, AuthModule], controllers: [ConsentsController, ConsentRewrapsController], providers: [ConsentsService, ConsentRewraps, ConsentSweeper, SweepScheduler] })
export class ConsentsModule {}
