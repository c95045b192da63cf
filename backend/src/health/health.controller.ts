import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { DependencyState, HealthResponse, LivenessResponse } from '@phr/shared-types';
import { Public } from '../identity/decorators.js';
import type { Exact } from '../common/exact.js';
import { Db } from '../db/db.service.js';
import { OwnTransactions } from '../db/transaction.interceptor.js';
import { StorageService } from '../storage/storage.service.js';

/** How long readiness waits for each dependency before it calls it down. */
const CHECK_TIMEOUT_MS = 2_000;
const RETRY_AFTER_SECONDS = 5;

class LivenessResponseDto implements LivenessResponse {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}
true satisfies Exact<LivenessResponseDto, LivenessResponse>;

class HealthResponseDto implements HealthResponse {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status: 'ok' | 'unavailable';
  @ApiProperty({ enum: ['up', 'down'], description: 'PostgreSQL answered a query within 2 s' }) database: DependencyState;
  @ApiProperty({ enum: ['up', 'down'], description: 'The object store answered for the bucket within 2 s' }) objectStore: DependencyState;
}
true satisfies Exact<HealthResponseDto, HealthResponse>;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Db,
    private readonly storage: StorageService,
  ) {}

  @Public()
  @Get('live')
  @OwnTransactions()
  @ApiOperation({ summary: 'Liveness: the API process serves requests (checks no dependency)' })
  @ApiOkResponse({ type: LivenessResponseDto })
  live(): LivenessResponse {
    return { status: 'ok' };
  }

  @Public()
  @Get()
  @OwnTransactions()
  @ApiOperation({ summary: 'Readiness: the database and the object store answer; 503 names the one that does not' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthResponseDto, description: 'A dependency is down; see Retry-After' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponse> {
    const [database, objectStore] = await Promise.all([this.db.isReachable(CHECK_TIMEOUT_MS), this.storage.isReachable(CHECK_TIMEOUT_MS)]);
    const health: HealthResponse = { status: database && objectStore ? 'ok' : 'unavailable', database: state(database), objectStore: state(objectStore) };
    if (health.status !== 'ok') void reply.status(503).header('Retry-After', String(RETRY_AFTER_SECONDS));
    return health;
  }
}

function state(isUp: boolean): DependencyState {
  return isUp ? 'up' : 'down';
}
