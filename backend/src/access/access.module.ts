import { Module } from '@nestjs/common';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConsentGuard } from './consent.guard.js';
import { ConsentsRepository } from './consents.repository.js';
import { EmergencyWrapsRepository } from './emergency-wraps.repository.js';
import { FoldersRepository } from './folders.repository.js';
import { RecordsRepository } from './records.repository.js';
import { UploadsRepository } from './uploads.repository.js';
import { RecordAccess } from './record-access.service.js';
import { SharesEndedByDeletion } from './shares-ended-by-deletion.js';
import { TrustedContactsRepository } from './trusted-contacts.repository.js';

/**
 * Patients' data and the one rule over it: the tables of records, wraps,
 * uploads, consents, folders and trusted contacts (their repositories, the only SQL on them),
 * a new record's emergency wrap (break-glass),
 * RecordAccess (who may read or own a record, which doctors a new one must be
 * wrapped for) and ConsentGuard. records/, consents/, folders/, account/ and
 * jobs/ import it; it imports none of them.
 */
@Module({
  imports: [CliniciansModule, UsersModule],
  providers: [RecordAccess, ConsentGuard, RecordsRepository, UploadsRepository, ConsentsRepository, FoldersRepository, TrustedContactsRepository, EmergencyWrapsRepository, SharesEndedByDeletion],
  exports: [RecordAccess, ConsentGuard, RecordsRepository, UploadsRepository, ConsentsRepository, FoldersRepository, TrustedContactsRepository, EmergencyWrapsRepository, SharesEndedByDeletion],
})
export class AccessModule {}
