import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { HealthResponse } from '@phr/shared-types';
import { Public } from '../auth/decorators.js';
import type { Exact } from '../common/exact.js';
import { Db } from '../db/db.service.js';

class HealthResponseDto implements HealthResponse {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}
true satisfies Exact<HealthResponseDto, HealthResponse>;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly db: Db) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness, with a database round trip' })
  @ApiOkResponse({ type: HealthResponseDto })
  async health(): Promise<HealthResponse> {
    await this.db.manager().query('SELECT 1');
    return { status: 'ok' };
  }
}
