import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TotpEnrolment, TotpStatus } from '@phr/shared-types';
import { ApiErrors } from '../../common/swagger.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { CurrentUser, ForSecondFactorEnrolment, Roles } from '../../identity/decorators.js';
import { RateLimited } from '../../rate-limit/rate-limited.decorator.js';
import { RemoveTotpDto, TotpCodeDto, TotpEnrolmentDto, TotpStatusDto } from './dto/totp.dto.js';
import { TotpService } from './totp.service.js';

@ApiTags('account')
@ApiBearerAuth()
@Roles('patient', 'doctor', 'auditor', 'operator')
@ForSecondFactorEnrolment()
@Controller('account/totp')
export class TotpController {
  constructor(private readonly totp: TotpService) {}

  @Post()
  @ApiOperation({ summary: 'Start enrolling an authenticator app (TOTP): a new secret, as base32 text and an otpauth:// URI; not active until confirmed with a code' })
  @ApiCreatedResponse({ type: TotpEnrolmentDto })
  @ApiErrors(401, 403, 409)
  enrol(@CurrentUser() user: AuthUser): Promise<TotpEnrolment> {
    return this.totp.enrol(user);
  }

  @Post('confirm')
  @HttpCode(200)
  @RateLimited('secondFactor')
  @ApiOperation({ summary: 'Finish the enrolment with a code the app shows now; from then on, signing in asks for a code (or a security key)' })
  @ApiOkResponse({ type: TotpStatusDto })
  @ApiErrors(400, 401, 403, 404, 409, 429)
  confirm(@CurrentUser() user: AuthUser, @Body() body: TotpCodeDto): Promise<TotpStatus> {
    return this.totp.confirm(user, body.code);
  }

  @Get()
  @ApiOperation({ summary: 'Whether the caller has an active authenticator app' })
  @ApiOkResponse({ type: TotpStatusDto })
  @ApiErrors(401, 403)
  status(@CurrentUser() user: AuthUser): Promise<TotpStatus> {
    return this.totp.status(user);
  }

  @Post('remove')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the authenticator app (active or pending); the current password proves it is the account holder' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404, 429)
  remove(@CurrentUser() user: AuthUser, @Body() body: RemoveTotpDto): Promise<void> {
    return this.totp.remove(user, body.currentAuthKey);
  }
}
