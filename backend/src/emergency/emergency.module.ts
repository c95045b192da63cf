import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { UsersModule } from '../users/users.module.js';
import { BreakGlassService } from './break-glass.service.js';
import { EmergencyBreaksRepository } from './emergency-breaks.repository.js';
import { EmergencyController } from './emergency.controller.js';
import { EmergencySetupService } from './emergency-setup.service.js';
import { EmergencySetupsRepository } from './emergency-setups.repository.js';

/** Break-glass for clinicians (issue 16): the patient's setup, the clinicians' breaks, the holders' shares, the auditors' reviews. */
@Module({
  imports: [AccessModule, CliniciansModule, UsersModule],
  controllers: [EmergencyController],
  providers: [EmergencySetupService, BreakGlassService, EmergencySetupsRepository, EmergencyBreaksRepository],
})
export class EmergencyModule {}
