import { Body, Controller, Get, Header, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { KeyRotationFinished, KeyRotationState } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { BodyLimit } from '../common/body-limit.js';
import { ApiErrors } from '../common/swagger.js';
import {
  FinishKeyRotationDto,
  KEY_ROTATION_BATCH_BODY_LIMIT_BYTES,
  KEY_ROTATION_FINISH_BODY_LIMIT_BYTES,
  KeyRotationBatchDto,
  KeyRotationFinishedDto,
  KeyRotationStateDto,
  StartKeyRotationDto,
} from './dto/key-rotation.dto.js';
import { KeyRotationService } from './key-rotation.service.js';

/** docs/protocol.md "Account-key rotation": the browser re-seals, the server counts and swaps. */
@ApiTags('account')
@ApiBearerAuth()
@Controller('me/account-key/rotation')
export class KeyRotationController {
  constructor(private readonly rotations: KeyRotationService) {}

  @Get()
  @Roles('patient', 'doctor')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The account-key generation in force and the rotation under way, if any: counts and the next rows to re-seal' })
  @ApiOkResponse({ type: KeyRotationStateDto })
  @ApiErrors(401, 403)
  state(@CurrentUser() user: AuthUser): Promise<KeyRotationState> {
    return this.rotations.state(user);
  }

  @Post()
  @HttpCode(201)
  @Roles('patient', 'doctor')
  @ApiOperation({
    summary: 'Start rotating the account key: the new key under the password’s KEK and the private key under the new key, kept beside the old ones',
    description: '403 when the current password is wrong; 409 when a rotation is already under way (resume it).',
  })
  @ApiCreatedResponse({ type: KeyRotationStateDto })
  @ApiErrors(400, 401, 403, 409, 429)
  start(@CurrentUser() user: AuthUser, @Body() body: StartKeyRotationDto): Promise<KeyRotationState> {
    return this.rotations.start(user, body);
  }

  @Put('batch')
  @Roles('patient', 'doctor')
  @BodyLimit(KEY_ROTATION_BATCH_BODY_LIMIT_BYTES)
  @ApiOperation({
    summary: 'Replace owner wraps and folder names with ones re-sealed under the new key (at most 25 rows)',
    description: 'Rows already under the new key are left as they are (a batch sent twice is harmless); a row that is not yours is a 404 for the whole batch; 409 when no rotation of that generation is under way.',
  })
  @ApiOkResponse({ type: KeyRotationStateDto })
  @ApiErrors(400, 401, 403, 404, 409, 413)
  batch(@CurrentUser() user: AuthUser, @Body() body: KeyRotationBatchDto): Promise<KeyRotationState> {
    return this.rotations.batch(user, body);
  }

  @Post('finish')
  @HttpCode(200)
  @Roles('patient', 'doctor')
  @BodyLimit(KEY_ROTATION_FINISH_BODY_LIMIT_BYTES)
  @ApiOperation({
    summary: 'Put the new account key in force, with a new recovery code and the re-sealed client state; the other sessions end',
    description: '409 while any owner wrap or folder name is under the old key (the message says how many), or when the client state is missing or was replaced meanwhile.',
  })
  @ApiOkResponse({ type: KeyRotationFinishedDto })
  @ApiErrors(400, 401, 403, 409, 413)
  finish(@CurrentUser() user: AuthUser, @Body() body: FinishKeyRotationDto): Promise<KeyRotationFinished> {
    return this.rotations.finish(user, body);
  }
}
