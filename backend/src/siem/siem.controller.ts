import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { SiemStatus } from '@phr/shared-types';
import { Roles } from '../identity/decorators.js';
import { ApiErrors } from '../common/swagger.js';
import { SiemStatusDto } from './dto/siem-status.dto.js';
import { SiemService } from './siem.service.js';

/** The SIEM stream's state (docs/running.md "Streaming audit events to a SIEM"): operators only. */
@ApiTags('siem')
@ApiBearerAuth()
@Roles('operator')
@Controller('siem')
export class SiemController {
  constructor(private readonly siem: SiemService) {}

  @Get('status')
  @ApiOperation({ summary: 'The stream of audit rows to the SIEM: mode, destination, lag (rows pending, oldest pending), last row shipped, last error' })
  @ApiOkResponse({ type: SiemStatusDto })
  @ApiErrors(401, 403)
  status(): Promise<SiemStatus> {
    return this.siem.status();
  }
}
