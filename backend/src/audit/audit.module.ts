import { Global, Module } from '@nestjs/common';
import { AccessReportService } from './access-report.service.js';
import { AttemptOwners } from './attempt-owners.js';
import { AttemptOwnersRepository } from './attempt-owners.repository.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditPeopleRepository } from './audit-people.repository.js';
import { AuditPeopleService } from './audit-people.service.js';
import { AuditReadRecorder } from './audit-read-recorder.js';
import { AuditReadService } from './audit-read.service.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

@Global()
@Module({ controllers: [AuditController], providers: [AuditService, AuditReadService, AuditReadRecorder, AttemptOwners, AuditEventsRepository, AttemptOwnersRepository, AuditPeopleService, AuditPeopleRepository, AccessReportService], exports: [AuditService, AttemptOwners, AuditEventsRepository, AuditPeopleRepository, AuditReadService] })
export class AuditModule {}
