import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RecordsModule } from '../records/records.module.js';
import { ConsentSweeper } from './consent-sweeper.js';
import { ConsentsController } from './consents.controller.js';
import { ConsentsService } from './consents.service.js';
import { SweepScheduler } from './sweep-scheduler.js';

@Module({ imports: [RecordsModule, AuthModule], controllers: [ConsentsController], providers: [ConsentsService, ConsentSweeper, SweepScheduler] })
export class ConsentsModule {}
