import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { FhirController } from './fhir.controller.js';
import { FhirExportsService } from './fhir-exports.service.js';

/** FHIR R4 exports of the trail and of consents (docs/protocol.md "FHIR exports"). Reads only. */
@Module({
  imports: [AccessModule],
  controllers: [FhirController],
  providers: [FhirExportsService],
})
export class FhirModule {}
