import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { RecordsModule } from '../records/records.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConsentRewrapsController } from './consent-rewraps.controller.js';
import { ConsentRewraps } from './consent-rewraps.service.js';
import { ConsentsController } from './consents.controller.js';
import { ConsentsRepository } from './consents.repository.js';
import { ConsentsService } from './consents.service.js';

@Module({
  imports: [AccessModule, RecordsModule, UsersModule, CliniciansModule],
  controllers: [ConsentsController, ConsentRewrapsController],
  providers: [ConsentsService, ConsentRewraps, ConsentsRepository],
  exports: [ConsentsService, ConsentsRepository],
})
export class ConsentsModule {}
