import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RotateKeyPairResult } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { ApiErrors } from '../common/swagger.js';
import { RotateKeyPairDto, RotateKeyPairResultDto } from './dto/rotate-key-pair.dto.js';
import { KeyPairService } from './key-pair.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('me')
export class KeyPairController {
  constructor(private readonly keyPairs: KeyPairService) {}

  @Post('key-pair')
  @HttpCode(200)
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'Replace the signed-in account’s RSA-OAEP key pair (lost device, policy): the new key is logged in the key directory',
    description:
      'Needs the current password’s auth key. Doctor wraps made for the old key stop being handed out (409 WRAP_STALE) until each patient’s browser re-makes them (PUT /consents/:id/wraps). 409 KEY_ROTATION while an account-key rotation is under way (finish it first).',
  })
  @ApiOkResponse({ type: RotateKeyPairResultDto })
  @ApiErrors(400, 401, 403, 409, 429)
  rotate(@CurrentUser() user: AuthUser, @Body() body: RotateKeyPairDto): Promise<RotateKeyPairResult> {
    return this.keyPairs.rotate(user, body);
  }
}
