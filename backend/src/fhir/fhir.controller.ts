import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FHIR_CONTENT_TYPE, type FhirAuditEvent, type FhirBundle, type FhirConsent } from '@phr/shared-types';
import { ApiErrors } from '../common/swagger.js';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { FhirSearchQueryDto } from './dto/fhir-query.dto.js';
import { FhirExportsService } from './fhir-exports.service.js';

/** A FHIR R4 searchset Bundle (http://hl7.org/fhir/R4/bundle.html); the entries as docs/protocol.md "FHIR exports" maps them. */
const BUNDLE_SCHEMA = {
  type: 'object',
  required: ['resourceType', 'type', 'timestamp', 'link', 'entry'],
  properties: {
    resourceType: { type: 'string', enum: ['Bundle'] },
    type: { type: 'string', enum: ['searchset'] },
    timestamp: { type: 'string', format: 'date-time' },
    link: { type: 'array', items: { type: 'object', properties: { relation: { type: 'string', enum: ['self', 'next'] }, url: { type: 'string' } } } },
    entry: { type: 'array', items: { type: 'object', properties: { fullUrl: { type: 'string' }, resource: { type: 'object' }, search: { type: 'object' } } } },
  },
};

@ApiTags('fhir')
@ApiBearerAuth()
@Controller('fhir')
export class FhirController {
  constructor(private readonly exports: FhirExportsService) {}

  @Get('AuditEvent')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @Header('content-type', `${FHIR_CONTENT_TYPE}; charset=utf-8`)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The caller’s trail (an auditor: any `patient`’s) as FHIR R4 AuditEvent resources (IHE BALP), in chain order, a Bundle per page' })
  @ApiOkResponse({ content: { [FHIR_CONTENT_TYPE]: { schema: BUNDLE_SCHEMA } } })
  @ApiErrors(400, 401, 403)
  auditEvents(@CurrentUser() user: AuthUser, @Query() query: FhirSearchQueryDto): Promise<FhirBundle<FhirAuditEvent>> {
    return this.exports.auditEvents(user, query);
  }

  @Get('Consent')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @Header('content-type', `${FHIR_CONTENT_TYPE}; charset=utf-8`)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The caller’s consents (a doctor: those naming them; an auditor: any `patient`’s) as FHIR R4 Consent resources, a Bundle per page' })
  @ApiOkResponse({ content: { [FHIR_CONTENT_TYPE]: { schema: BUNDLE_SCHEMA } } })
  @ApiErrors(400, 401, 403)
  consents(@CurrentUser() user: AuthUser, @Query() query: FhirSearchQueryDto): Promise<FhirBundle<FhirConsent>> {
    return this.exports.consentResources(user, query);
  }
}
