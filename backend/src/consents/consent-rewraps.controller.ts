import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RewrapConsentResult } from '@phr/shared-types';
import { MAX_REWRAPS_PER_REQUEST } from '@phr/shared-types';
import { AttemptTargets } from '../audit/attempt-targets.decorator.js';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { uuidParam } from '../common/ids.js';
import { ApiErrors } from '../common/swagger.js';
import { ConsentRewraps } from './consent-rewraps.service.js';
import { RewrapConsentDto, RewrapConsentResultDto } from './dto/consents.dto.js';

@ApiTags('consents')
@ApiBearerAuth()
@Controller()
export class ConsentRewrapsController {
  constructor(private readonly rewraps: ConsentRewraps) {}

  @Put('consents/:id/wraps')
  @AttemptTargets({ consent: 'param:id' })
  @Roles('patient')
  @ApiOperation({
    summary: 'Re-make a doctor’s wraps for the doctor’s new key after a key-pair rotation',
    description: `Up to ${MAX_REWRAPS_PER_REQUEST} wraps per request, each of a record in the consent’s scope; \`fingerprint\` must be the doctor’s current key (409 KEY_CHANGED otherwise). Each replaces the doctor’s wrap of that record.`,
  })
  @ApiOkResponse({ type: RewrapConsentResultDto })
  @ApiErrors(400, 401, 403, 404, 409)
  rewrap(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) consentId: string, @Body() body: RewrapConsentDto): Promise<RewrapConsentResult> {
    return this.rewraps.rewrap(user, consentId, body);
  }
}
