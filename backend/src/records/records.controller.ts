import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PresignUploadResponse, RecordDetail, RecordPage, RecordSummary } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { uuidParam } from '../common/ids.js';
import { AttemptTargets } from '../audit/attempt-targets.decorator.js';
import { ApiErrors } from '../common/swagger.js';
import { OwnTransactions } from '../db/transaction.interceptor.js';
import {
  CommitRecordDto,
  ListRecordsQueryDto,
  PresignUploadDto,
  PresignUploadResponseDto,
  RecordDetailDto,
  RecordPageDto,
  RecordSummaryDto,
} from './dto/records.dto.js';
import { RecordsService } from './records.service.js';
import { ReadableRecordOf, RequireOwnedRecord, RequireReadableRecord } from '../access/consent.guard.js';
import type { ReadableRecord } from '../access/record-access.service.js';

@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

  @Post('presign')
  @AttemptTargets({ record: 'body:recordId', folder: 'body:folderId' })
  @HttpCode(200)
  @Roles('patient')
  @ApiOperation({ summary: 'Reserve a record id and get pre-signed PUT URLs, one per segment (minutes long)' })
  @ApiOkResponse({ type: PresignUploadResponseDto })
  @ApiErrors(400, 401, 403, 404, 413)
  presign(@CurrentUser() user: AuthUser, @Body() body: PresignUploadDto): Promise<PresignUploadResponse> {
    return this.records.presignUpload(user, body);
  }

  @Post()
  @AttemptTargets({ record: 'body:recordId', folder: 'body:folderId' })
  @Roles('patient')
  @OwnTransactions()
  @ApiOperation({ summary: 'Commit an uploaded record: every segment must be stored with its exact size' })
  @ApiCreatedResponse({ type: RecordSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  commit(@CurrentUser() user: AuthUser, @Body() body: CommitRecordDto): Promise<RecordSummary> {
    return this.records.commit(user, body);
  }

  @Get()
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'Records readable by the caller, newest first, with sealed metadata and the caller’s wrap' })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiErrors(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListRecordsQueryDto): Promise<RecordPage> {
    return this.records.list(user, query);
  }

  @Get(':id')
  @AttemptTargets({ record: 'param:id' })
  @Roles('patient', 'doctor')
  @RequireReadableRecord()
  @ApiOperation({ summary: 'One record: sealed metadata, the caller’s wrap, pre-signed GET URLs (about a minute)' })
  @ApiOkResponse({ type: RecordDetailDto })
  @ApiErrors(400, 401, 403, 404)
  read(@Param('id', uuidParam()) recordId: string, @ReadableRecordOf() readable: ReadableRecord | null): RecordDetail {
    if (readable?.record.id !== recordId) throw new Error('GET /records/:id ran without ConsentGuard’s decision');
    return this.records.read(readable);
  }

  @Delete(':id')
  @AttemptTargets({ record: 'param:id' })
  @HttpCode(204)
  @Roles('patient')
  @RequireOwnedRecord('record.delete')
  @OwnTransactions()
  @ApiOperation({ summary: 'Delete a record: objects, wraps and metadata go; the audit trail stays' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404)
  delete(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string): Promise<void> {
    return this.records.delete(user, recordId);
  }
}
