import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { EmergencyAccess, EmergencyBreak, EmergencyBreakList, EmergencyHolderCandidates, EmergencySetup, EmergencyShareRequests, RecordDetail } from '@phr/shared-types';
import { AttemptTargets } from '../audit/attempt-targets.decorator.js';
import { BodyLimit } from '../common/body-limit.js';
import { uuidParam } from '../common/ids.js';
import { ApiErrors } from '../common/swagger.js';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { BreakGlassService } from './break-glass.service.js';
import {
  BreakGlassDto,
  ConfigureEmergencyDto,
  EMERGENCY_BODY_LIMIT_BYTES,
  EmergencyAccessDto,
  EmergencyBreakDto,
  EmergencyBreakListDto,
  EmergencyHolderCandidatesDto,
  EmergencyHolderRequestDto,
  EmergencyRecordDetailDto,
  EmergencyReviewQueryDto,
  EmergencySetupDto,
  EmergencyShareRequestsDto,
  ReleaseEmergencyShareDto,
  ReviewEmergencyDto,
} from './dto/emergency.dto.js';
import { EmergencySetupService } from './emergency-setup.service.js';

/** Break-glass for clinicians (docs/protocol.md "Break-glass"). */
@ApiTags('emergency')
@ApiBearerAuth()
@Controller('emergency')
export class EmergencyController {
  constructor(
    private readonly setup: EmergencySetupService,
    private readonly breakGlass: BreakGlassService,
  ) {}

  @Get('setup')
  @Roles('patient')
  @ApiOperation({ summary: 'The caller’s break-glass setup: scope, emergency key, k, holders, time box, whether a re-key is due' })
  @ApiOkResponse({ type: EmergencySetupDto })
  @ApiErrors(401, 403)
  get(@CurrentUser() user: AuthUser): Promise<EmergencySetup> {
    return this.setup.get(user);
  }

  @Put('setup')
  @Roles('patient')
  @BodyLimit(EMERGENCY_BODY_LIMIT_BYTES)
  @AttemptTargets({ folder: 'body:folderId' })
  @ApiOperation({ summary: 'Replace the break-glass setup: a new emergency key, its holders’ shares and its wraps of every record in scope; or scope "off"' })
  @ApiOkResponse({ type: EmergencySetupDto })
  @ApiErrors(400, 401, 403, 409, 413)
  configure(@CurrentUser() user: AuthUser, @Body() body: ConfigureEmergencyDto): Promise<EmergencySetup> {
    return this.setup.configure(user, body);
  }

  @Post('holder-candidates')
  @HttpCode(200)
  @Roles('patient')
  @ApiOperation({ summary: 'An account that may hold a share, by its exact email (in the body, never in a URL): another patient or an approved clinician, with public key and fingerprint' })
  @ApiOkResponse({ type: EmergencyHolderCandidatesDto })
  @ApiErrors(400, 401, 403)
  candidates(@CurrentUser() user: AuthUser, @Body() body: EmergencyHolderRequestDto): Promise<EmergencyHolderCandidates> {
    return this.setup.candidates(user, body.email);
  }

  @Post('breaks')
  @Roles('doctor')
  @ApiOperation({ summary: 'Break the glass (approved clinicians): a reason code and text; the patient and the holders are told at once' })
  @ApiCreatedResponse({ type: EmergencyBreakDto })
  @ApiErrors(400, 401, 403, 404, 409)
  breakTheGlass(@CurrentUser() user: AuthUser, @Body() body: BreakGlassDto): Promise<EmergencyBreak> {
    return this.breakGlass.breakGlass(user, body);
  }

  @Get('breaks')
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'Break-glasses over the caller (patient) or made by the caller (clinician), newest first' })
  @ApiOkResponse({ type: EmergencyBreakListDto })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<EmergencyBreakList> {
    return this.breakGlass.list(user);
  }

  @Get('breaks/:id')
  @Roles('doctor')
  @ApiOperation({ summary: 'The clinician’s own break-glass: released shares; once k are in, the sealed emergency key and the records in scope' })
  @ApiOkResponse({ type: EmergencyAccessDto })
  @ApiErrors(400, 401, 403, 404, 410)
  access(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) breakId: string): Promise<EmergencyAccess> {
    return this.breakGlass.access(user, breakId);
  }

  @Get('breaks/:id/records/:recordId')
  @Roles('doctor')
  @ApiOperation({ summary: 'Read one record under an open break-glass: the emergency wrap, sealed metadata and GET URLs (record.read, reason "break-glass")' })
  @ApiOkResponse({ type: EmergencyRecordDetailDto })
  @ApiErrors(400, 401, 403, 404, 409, 410)
  readRecord(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) breakId: string, @Param('recordId', uuidParam()) recordId: string): Promise<RecordDetail> {
    return this.breakGlass.readRecord(user, breakId, recordId);
  }

  @Get('requests')
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'Break-glasses waiting for the caller’s share, with the clinician’s public key and the caller’s own share' })
  @ApiOkResponse({ type: EmergencyShareRequestsDto })
  @ApiErrors(401, 403)
  requests(@CurrentUser() user: AuthUser): Promise<EmergencyShareRequests> {
    return this.breakGlass.requests(user);
  }

  @Post('breaks/:id/shares')
  @HttpCode(200)
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'A holder releases their share, re-wrapped in their browser for the requesting clinician’s current key' })
  @ApiOkResponse({ type: EmergencyBreakDto })
  @ApiErrors(400, 401, 403, 404, 409, 410)
  release(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) breakId: string, @Body() body: ReleaseEmergencyShareDto): Promise<EmergencyBreak> {
    return this.breakGlass.release(user, breakId, body);
  }

  @Get('reviews')
  @Roles('auditor')
  @ApiOperation({ summary: 'The auditors’ review queue: every break-glass, those not reviewed first' })
  @ApiOkResponse({ type: EmergencyBreakListDto })
  @ApiErrors(400, 401, 403)
  reviews(@CurrentUser() user: AuthUser, @Query() query: EmergencyReviewQueryDto): Promise<EmergencyBreakList> {
    return this.breakGlass.reviewQueue(user, query.status);
  }

  @Post('breaks/:id/review')
  @HttpCode(200)
  @Roles('auditor')
  @ApiOperation({ summary: 'An auditor records the outcome of their review of a break-glass: justified or not, with a note' })
  @ApiOkResponse({ type: EmergencyBreakDto })
  @ApiErrors(400, 401, 403, 404)
  review(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) breakId: string, @Body() body: ReviewEmergencyDto): Promise<EmergencyBreak> {
    return this.breakGlass.review(user, breakId, body);
  }
}
