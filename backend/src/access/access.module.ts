import { Module } from '@nestjs/common';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConsentGuard } from './consent.guard.js';
import { RecordAccessRepository } from './record-access.repository.js';
import { RecordAccess } from './record-access.service.js';

/** The one record-access policy and its guard; records/, consents/ and folders/ import it, it imports none of them. */
@Module({ imports: [CliniciansModule, UsersModule], providers: [RecordAccess, RecordAccessRepository, ConsentGuard], exports: [RecordAccess, ConsentGuard] })
export class AccessModule {}
