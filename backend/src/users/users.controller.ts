import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Me, PublicKeyResponse } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { ApiErrors } from '../common/swagger.js';
import { uuidParam } from '../common/ids.js';
import { MeDto } from '../contract/me.dto.js';
import { PublicKeyResponseDto } from './public-key.dto.js';
import { UpdateMeDto } from './update-me.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({ summary: 'The signed-in account' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(401, 403)
  me(@CurrentUser() user: AuthUser): Promise<Me> {
    return this.users.me(user.userId);
  }

  @Patch('me')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'Correct the signed-in account’s display name, and a doctor’s specialty (GDPR Art. 16); the email is the sign-in identifier and cannot be changed',
  })
  @ApiOkResponse({ type: MeDto, description: 'The account as it now stands' })
  @ApiErrors(400, 401, 403)
  updateMe(@CurrentUser() user: AuthUser, @Body() body: UpdateMeDto): Promise<Me> {
    return this.users.updateMe(user, body);
  }

  @Get('users/:id/public-key')
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: "A user's RSA-OAEP public key and its fingerprint (DESIGN 4.5)" })
  @ApiOkResponse({ type: PublicKeyResponseDto })
  @ApiErrors(400, 401, 403, 404)
  publicKey(@Param('id', uuidParam()) userId: string): Promise<PublicKeyResponse> {
    return this.users.publicKey(userId);
  }
}
