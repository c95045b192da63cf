import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { AccountModule } from './account/account.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ErrorFilter } from './common/error.filter.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { DbModule } from './db/db.module.js';
import { EmergencyModule } from './emergency/emergency.module.js';
import { TransactionInterceptor } from './db/transaction.interceptor.js';
import { ClientStateModule } from './client-state/client-state.module.js';
import { CliniciansModule } from './clinicians/clinicians.module.js';
import { ConsentsModule } from './consents/consents.module.js';
import { FoldersModule } from './folders/folders.module.js';
import { HealthController } from './health/health.controller.js';
import { JobsModule } from './jobs/jobs.module.js';
import { KeyRotationModule } from './key-rotation/key-rotation.module.js';
import { KeyDirectoryModule } from './key-directory/key-directory.module.js';
import { KeyPairModule } from './key-pair/key-pair.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { SiemModule } from './siem/siem.module.js';
import { FhirModule } from './fhir/fhir.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RecordsModule } from './records/records.module.js';
import { SecurityEventsModule } from './security-events/security-events.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TrustedContactsModule } from './trusted-contacts/trusted-contacts.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [DbModule, AuditModule, StorageModule, RateLimitModule, AuthModule, UsersModule, RecordsModule, FoldersModule, ConsentsModule, CliniciansModule, AccountModule, ClientStateModule, KeyRotationModule, KeyDirectoryModule, KeyPairModule, SecurityEventsModule, NotificationsModule, TrustedContactsModule, EmergencyModule, SiemModule, FhirModule, JobsModule],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: TransactionInterceptor },
      ],
      exports: [APP_CONFIG],
    };
  }
}
