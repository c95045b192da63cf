import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Consent, ConsentPage, DoctorList } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { BodyLimit } from '../common/body-limit.js';
import { uuidParam } from '../common/ids.js';
import { AttemptTargets } from '../audit/attempt-targets.decorator.js';
import { ApiErrors } from '../common/swagger.js';
import { RateLimited } from '../rate-limit/rate-limited.decorator.js';
import { ConsentsService } from './consents.service.js';
import {
  CONSENT_BODY_LIMIT_BYTES,
  MAX_WRAPS_PER_CONSENT,
  ConsentDto,
  ConsentPageDto,
  CreateConsentDto,
  DoctorListDto,
  DoctorSearchRequestDto,
  ListConsentsQueryDto,
  UpdateConsentDto,
} from './dto/consents.dto.js';

@ApiTags('consents')
@ApiBearerAuth()
@Controller()
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  // A POST that only reads: the fragment (often part of an email) goes in the body, never in the URL (ASVS 5.0 V14).
  @Post('doctors/search')
  @HttpCode(200)
  @Roles('patient')
  @RateLimited('doctorSearch')
  @ApiOperation({ summary: 'Find doctors by a fragment of name or email, sent in the body: id, name, specialty, public key and fingerprint' })
  @ApiOkResponse({ type: DoctorListDto })
  @ApiErrors(400, 401, 403)
  searchDoctors(@Body() body: DoctorSearchRequestDto): Promise<DoctorList> {
    return this.consents.searchDoctors(body.q);
  }

  @Post('consents')
  @AttemptTargets({ record: 'body:recordId', folder: 'body:folderId' })
  @Roles('patient')
  @BodyLimit(CONSENT_BODY_LIMIT_BYTES)
  @ApiOperation({
    summary: 'Grant a doctor one record, a folder or everything, with the doctor’s wraps of every file key in scope',
    description: `Up to ${MAX_WRAPS_PER_CONSENT} wraps; this route takes bodies up to ${CONSENT_BODY_LIMIT_BYTES} bytes (others: BODY_LIMIT_BYTES).`,
  })
  @ApiCreatedResponse({ type: ConsentDto })
  @ApiErrors(400, 401, 403, 404, 413)
  create(@CurrentUser() user: AuthUser, @Body() body: CreateConsentDto): Promise<Consent> {
    return this.consents.create(user, body);
  }

  @Get('consents')
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'A page of the consents the caller granted (patient) or received (doctor), newest first; nextCursor names the next' })
  @ApiOkResponse({ type: ConsentPageDto })
  @ApiErrors(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListConsentsQueryDto): Promise<ConsentPage> {
    return this.consents.list(user, query);
  }

  @Patch('consents/:id')
  @AttemptTargets({ consent: 'param:id' })
  @Roles('patient')
  @ApiOperation({ summary: 'Revoke a consent: in one transaction it ends and the doctor’s wraps in its scope go' })
  @ApiOkResponse({ type: ConsentDto })
  @ApiErrors(400, 401, 403, 404, 409)
  // The body names the change (today only status "revoked"); validation refuses anything else with a 400 naming the field.
  update(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) consentId: string, @Body() body: UpdateConsentDto): Promise<Consent> {
    return this.consents.update(user, consentId, body);
  }
}
