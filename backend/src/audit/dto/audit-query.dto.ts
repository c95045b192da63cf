import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_EXPORT_FORMATS,
  type AuditAction,
  type AuditExportFormat,
  type AuditExportQuery,
  type AuditHead,
  type AuditHeadQuery,
  type AuditOutcome,
  type AuditPage,
  type AuditQuery,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { IsId } from '../../common/ids.js';
import { AuditEventDto } from '../../contract/audit-event.dto.js';

class AuditFiltersDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Auditors only: one subject’s trail' })
  @IsOptional()
  @IsId('all')
  subjectId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId('all')
  actorId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ enum: ['allow', 'deny'] })
  @IsOptional()
  @IsIn(['allow', 'deny'])
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId('all')
  recordId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'From this time, inclusive' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Up to this time, exclusive' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;
}

export class AuditQueryDto extends AuditFiltersDto implements AuditQuery {
  @ApiPropertyOptional({ minimum: 0, description: 'One chain’s rows after this seq, oldest first (no other filter then)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  afterSeq?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(300)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a cursor this API issued' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
true satisfies Exact<AuditQueryDto, AuditQuery>;

export class AuditExportQueryDto extends AuditFiltersDto implements AuditExportQuery {
  @ApiProperty({ enum: AUDIT_EXPORT_FORMATS })
  @IsIn(AUDIT_EXPORT_FORMATS)
  format: AuditExportFormat;
}
true satisfies Exact<AuditExportQueryDto, AuditExportQuery>;

export class AuditHeadQueryDto implements AuditHeadQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Auditors: whose chain; others get their own' })
  @IsOptional()
  @IsId('all')
  subjectId?: string;
}
true satisfies Exact<AuditHeadQueryDto, AuditHeadQuery>;


export class AuditPageDto implements AuditPage {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
true satisfies Exact<AuditPageDto, AuditPage>;

export class AuditHeadDto implements AuditHead {
  @ApiProperty({ format: 'uuid' }) subjectId: string;
  @ApiProperty() seq: number;
  @ApiProperty() hash: string;
}
true satisfies Exact<AuditHeadDto, AuditHead>;
