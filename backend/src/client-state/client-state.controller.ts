import { Body, Controller, Get, Header, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ClientState, ClientStateVersion } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { BodyLimit } from '../common/body-limit.js';
import { ApiErrors } from '../common/swagger.js';
import { ClientStateService } from './client-state.service.js';
import { CLIENT_STATE_BODY_LIMIT_BYTES, PutClientStateDto } from '../contract/client-state.dto.js';
import { ClientStateDto, ClientStateVersionDto } from './dto/client-state.dto.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('me/client-state')
export class ClientStateController {
  constructor(private readonly states: ClientStateService) {}

  @Get()
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The signed-in account’s sealed client state and its version (0 and null before the first write)' })
  @ApiOkResponse({ type: ClientStateDto })
  @ApiErrors(401, 403)
  read(@CurrentUser() user: AuthUser): Promise<ClientState> {
    return this.states.read(user);
  }

  @Put()
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @BodyLimit(CLIENT_STATE_BODY_LIMIT_BYTES)
  @ApiOperation({
    summary: 'Replace the sealed client state if it is still at expectedVersion (compare-and-set)',
    description: '409 when another device wrote first: read it again, merge, and write on the version read. The server never reads the blob.',
  })
  @ApiOkResponse({ type: ClientStateVersionDto })
  @ApiErrors(400, 401, 403, 409, 413)
  replace(@CurrentUser() user: AuthUser, @Body() body: PutClientStateDto): Promise<ClientStateVersion> {
    return this.states.replace(user, body);
  }
}
