import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { ApiErrors } from '../common/swagger.js';
import { ReportSecurityEventDto } from './dto/report-security-event.dto.js';
import { SecurityEventsService } from './security-events.service.js';

@ApiTags('security events')
@ApiBearerAuth()
@Controller('security-events')
export class SecurityEventsController {
  constructor(private readonly events: SecurityEventsService) {}

  @Post()
  @HttpCode(204)
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary:
      'Report a check the browser made that failed (a key, a key-directory tree head, the audit trail): filed as a denial in the caller’s own audit trail',
  })
  @ApiNoContentResponse({ description: 'The report is in the caller’s trail' })
  @ApiErrors(400, 401, 403)
  report(@CurrentUser() user: AuthUser, @Body() body: ReportSecurityEventDto): Promise<void> {
    return this.events.report(user, body);
  }
}
