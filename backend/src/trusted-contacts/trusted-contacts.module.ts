import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { TrustedContactsRepository } from '../access/trusted-contacts.repository.js';
import { TrustedContactsController } from './trusted-contacts.controller.js';
import { TrustedContactsService } from './trusted-contacts.service.js';

export { TrustedContactsRepository };

/**
 * Trusted contacts (issue 16). The tables' repository lives in access/ with the other rules over
 * patients' data (records/ needs it for uploads); this module re-exports it, so the break-glass
 * feature imports TrustedContactsModule and injects TrustedContactsRepository (activeContactIds).
 */
@Module({
  imports: [AccessModule],
  controllers: [TrustedContactsController],
  providers: [TrustedContactsService],
  exports: [AccessModule],
})
export class TrustedContactsModule {}
