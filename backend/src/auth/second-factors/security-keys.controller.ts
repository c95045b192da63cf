import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { SecurityKey, SecurityKeyEnrolment, SecurityKeyList } from '@phr/shared-types';
import { uuidParam } from '../../common/ids.js';
import { ApiErrors } from '../../common/swagger.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { CurrentUser, ForSecondFactorEnrolment, Roles } from '../../identity/decorators.js';
import { AddSecurityKeyDto, RemoveSecurityKeyDto, SecurityKeyDto, SecurityKeyEnrolmentDto, SecurityKeyListDto, SecurityKeyOptionsDto } from './dto/security-key.dto.js';
import { SecurityKeysService } from './security-keys.service.js';

@ApiTags('account')
@ApiBearerAuth()
@Roles('patient', 'doctor', 'auditor', 'operator')
@Controller('account/security-keys')
export class SecurityKeysController {
  constructor(private readonly securityKeys: SecurityKeysService) {}

  @Post('options')
  @ForSecondFactorEnrolment()
  @HttpCode(200)
  @ApiOperation({ summary: 'Start enrolling a security key (WebAuthn): its name, then options for navigator.credentials.create()' })
  @ApiOkResponse({ type: SecurityKeyEnrolmentDto })
  @ApiErrors(400, 401, 403)
  options(@CurrentUser() user: AuthUser, @Body() body: SecurityKeyOptionsDto): Promise<SecurityKeyEnrolment> {
    return this.securityKeys.enrolmentOptions(user, body.name);
  }

  @Post()
  @ForSecondFactorEnrolment()
  @ApiOperation({ summary: 'Finish the enrolment with the new credential; from then on, signing in asks for a security key' })
  @ApiCreatedResponse({ type: SecurityKeyDto })
  @ApiErrors(400, 401, 403, 409)
  add(@CurrentUser() user: AuthUser, @Body() body: AddSecurityKeyDto): Promise<SecurityKey> {
    return this.securityKeys.add(user, body);
  }

  @Get()
  @ForSecondFactorEnrolment()
  @ApiOperation({ summary: 'The caller’s security keys' })
  @ApiOkResponse({ type: SecurityKeyListDto })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<SecurityKeyList> {
    return this.securityKeys.list(user);
  }

  @Post(':id/remove')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a security key; the current password proves it is the account holder' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404, 429)
  remove(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) keyId: string, @Body() body: RemoveSecurityKeyDto): Promise<void> {
    return this.securityKeys.remove(user, keyId, body.currentAuthKey);
  }
}
