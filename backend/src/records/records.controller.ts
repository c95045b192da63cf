import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RECORD_LOOKUP_MAX_IDS, type MoveRecordPreview, type PresignUploadResponse, type RecordDetail, type RecordPage, type RecordSummary } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { uuidParam } from '../common/ids.js';
import { AttemptTargets } from '../audit/attempt-targets.decorator.js';
import { ApiErrors, ApiIdListQuery } from '../common/swagger.js';
import { OwnTransactions } from '../db/transaction.interceptor.js';
import {
  CommitRecordDto,
  ListRecordsQueryDto,
  MoveRecordDto,
  MoveRecordPreviewDto,
  MoveRecordQueryDto,
  PresignUploadDto,
  PresignUploadResponseDto,
  RecordDetailDto,
  RecordPageDto,
  RecordSummaryDto,
  UpdateRecordMetadataDto,
} from './dto/records.dto.js';
import { RecordOrganising } from './record-organising.service.js';
import { RecordsService } from './records.service.js';
import { ReadableRecordOf, RequireOwnedRecord, RequireReadableRecord } from '../access/consent.guard.js';
import type { ReadableRecord } from '../access/record-access.service.js';

@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class RecordsController {
  constructor(
    private readonly records: RecordsService,
    private readonly organising: RecordOrganising,
  ) {}

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
  @ApiIdListQuery('ids', RECORD_LOOKUP_MAX_IDS, `Only these records, those of them the caller can list (at most ${RECORD_LOOKUP_MAX_IDS}); read by id, so the cost follows the ids, not the records held`)
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
  @ApiErrors(400, 401, 403, 404, 410)
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
  @ApiOperation({ summary: 'Delete a record now (in use or in the trash): objects, wraps and metadata go; the audit trail stays' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404)
  delete(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string): Promise<void> {
    return this.records.delete(user, recordId);
  }

  @Post(':id/trash')
  @AttemptTargets({ record: 'param:id' })
  @HttpCode(200)
  @Roles('patient')
  @RequireOwnedRecord('record.trash')
  @ApiOperation({ summary: 'Move a record to the trash: hidden from doctors, restorable until the sweep deletes it after the retention (30 days)' })
  @ApiOkResponse({ type: RecordSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  trash(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string): Promise<RecordSummary> {
    return this.organising.trash(user, recordId);
  }

  @Post(':id/restore')
  @AttemptTargets({ record: 'param:id' })
  @HttpCode(200)
  @Roles('patient')
  @RequireOwnedRecord('record.restore')
  @ApiOperation({ summary: 'Restore a record from the trash, into its folder (none if that folder was deleted)' })
  @ApiOkResponse({ type: RecordSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  restore(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string): Promise<RecordSummary> {
    return this.organising.restore(user, recordId);
  }

  @Put(':id/metadata')
  @AttemptTargets({ record: 'param:id' })
  @Roles('patient')
  @RequireOwnedRecord('record.update')
  @ApiOperation({ summary: 'Replace the sealed metadata (rename, category, date, notes), re-sealed in the browser under the same file key' })
  @ApiOkResponse({ type: RecordSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  updateMetadata(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string, @Body() body: UpdateRecordMetadataDto): Promise<RecordSummary> {
    return this.organising.updateMetadata(user, recordId, body.metadata);
  }

  @Get(':id/move-check')
  @AttemptTargets({ record: 'param:id' })
  @Roles('patient')
  @RequireOwnedRecord('record.move')
  @ApiOperation({ summary: 'What moving a record into a folder (or none) would change: the doctors to wrap for, and those who would lose it' })
  @ApiOkResponse({ type: MoveRecordPreviewDto })
  @ApiErrors(400, 401, 403, 404, 409)
  movePreview(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string, @Query() query: MoveRecordQueryDto): Promise<MoveRecordPreview> {
    return this.organising.movePreview(user, recordId, query.folderId ?? null);
  }

  @Put(':id/folder')
  @AttemptTargets({ record: 'param:id', folder: 'body:folderId' })
  @Roles('patient')
  @RequireOwnedRecord('record.move')
  @ApiOperation({ summary: 'Move a record to another folder (or none): wraps for the doctors the destination’s consents add, and the wraps no consent covers any more removed' })
  @ApiOkResponse({ type: RecordSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  move(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) recordId: string, @Body() body: MoveRecordDto): Promise<RecordSummary> {
    return this.organising.move(user, recordId, body);
  }
}
