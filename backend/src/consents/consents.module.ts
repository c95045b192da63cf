import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module.js';
import { ConsentRewrapsController } from './consent-rewraps.controller.js';
import { ConsentRewraps } from './consent-rewraps.service.js';
import { ConsentsController } from './consents.controller.js';
import { ConsentsService } from './consents.service.js';

@Module({ imports: [RecordsModule], controllers: [ConsentsController, ConsentRewrapsController], providers: [ConsentsService, ConsentRewraps], exports: [ConsentsService] })
export class ConsentsModule {}
