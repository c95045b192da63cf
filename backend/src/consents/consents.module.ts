import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConsentRewrapsController } from './consent-rewraps.controller.js';
import { ConsentRewraps } from './consent-rewraps.service.js';
import { ConsentsController } from './consents.controller.js';
import { ConsentsService } from './consents.service.js';

@Module({
  imports: [AccessModule, UsersModule, CliniciansModule],
  controllers: [ConsentsController, ConsentRewrapsController],
  providers: [ConsentsService, ConsentRewraps],
  exports: [ConsentsService],
})
export class ConsentsModule {}
