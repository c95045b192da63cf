import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiTokenIssued, ApiTokenList } from '@phr/shared-types';
import { uuidParam } from '../../common/ids.js';
import { ApiErrors } from '../../common/swagger.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { CurrentUser, Roles } from '../../identity/decorators.js';
import { ApiTokensService } from './api-tokens.service.js';
import { ApiTokenIssuedDto, ApiTokenListDto, IssueApiTokenDto } from './dto/api-token.dto.js';

/** Auditors only: the security team reads the API from Swagger UI or scripts (docs/protocol.md "API tokens"). */
@ApiTags('auth')
@ApiBearerAuth()
@Roles('auditor')
@Controller('api-tokens')
export class ApiTokensController {
  constructor(private readonly apiTokens: ApiTokensService) {}

  @Post()
  @ApiOperation({ summary: 'Issue a read-only API token (auditors): one hour, GET and HEAD only, shown once' })
  @ApiCreatedResponse({ type: ApiTokenIssuedDto })
  @ApiErrors(400, 401, 403)
  issue(@CurrentUser() user: AuthUser, @Body() body: IssueApiTokenDto): Promise<ApiTokenIssued> {
    return this.apiTokens.issue(user, body.label);
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s live API tokens, newest first; never their values' })
  @ApiOkResponse({ type: ApiTokenListDto })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<ApiTokenList> {
    return this.apiTokens.list(user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End an API token: refused from its next request on' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404)
  revoke(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) sessionId: string): Promise<void> {
    return this.apiTokens.revoke(user, sessionId);
  }
}
