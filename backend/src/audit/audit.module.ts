import { Global, Module } from '@nestjs/common';
import { AuditReadService } from './audit-read.service.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

@Global()
@Module({ controllers: [AuditController], providers: [AuditService, AuditReadService], exports: [AuditService] })
export class AuditModule {}
