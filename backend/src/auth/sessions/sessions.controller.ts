import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { SessionList } from '@phr/shared-types';
import { uuidParam } from '../../common/ids.js';
import { ApiErrors } from '../../common/swagger.js';
import { ActiveSessionsService } from './active-sessions.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { CurrentUser, Roles } from '../../identity/decorators.js';
import { SessionListDto } from './dto/active-session.dto.js';

@ApiTags('auth')
@ApiBearerAuth()
@Roles('patient', 'doctor', 'auditor', 'operator')
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: ActiveSessionsService) {}

  @Get()
  @ApiOperation({ summary: 'The caller’s signed-in browsers (refresh token families); no token values' })
  @ApiOkResponse({ type: SessionListDto })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<SessionList> {
    return this.sessions.list(user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign one browser out: its refresh token family ends, and its access tokens with it' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404)
  revoke(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) sessionId: string): Promise<void> {
    return this.sessions.revoke(user, sessionId);
  }
}
