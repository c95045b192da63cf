import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  ACCESS_REPORT_PAGE_DEFAULT,
  ACCESS_REPORT_PAGE_MAX,
  DISCLOSURE_BASES,
  type AccessReportEntry,
  type AccessReportPage,
  type AccessReportQuery,
  type AuditActorRole,
  type DisclosureBasis,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';

export class AccessReportQueryDto implements AccessReportQuery {
  @ApiProperty({ format: 'date-time', description: 'Start of the period, inclusive' })
  @IsDateString({ strict: true })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'End of the period, exclusive; at most six years after from' })
  @IsDateString({ strict: true })
  to: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a cursor this API issued' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: ACCESS_REPORT_PAGE_MAX, default: ACCESS_REPORT_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ACCESS_REPORT_PAGE_MAX)
  limit?: number;
}
true satisfies Exact<AccessReportQueryDto, AccessReportQuery>;

export class AccessReportEntryDto implements AccessReportEntry {
  @ApiProperty({ description: 'The row’s seq in the patient’s chain' }) seq: number;
  @ApiProperty({ description: 'The row’s hash in the patient’s chain' }) hash: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ format: 'uuid' }) actorId: string;
  @ApiProperty({ type: String, nullable: true, description: 'Null for an erased account' }) actorName: string | null;
  @ApiProperty({ enum: ['patient', 'doctor', 'auditor', 'operator', 'system'], nullable: true }) actorRole: AuditActorRole | null;
  @ApiProperty({ format: 'uuid' }) recordId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) consentId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The audit row’s reason, as filed' }) reason: string | null;
  @ApiProperty({ enum: DISCLOSURE_BASES, description: 'From the reason: "consented doctor" consent, "trusted contact" trusted-contact, "break-glass" emergency, anything else other' })
  basis: DisclosureBasis;
}
true satisfies Exact<AccessReportEntryDto, AccessReportEntry>;

export class AccessReportPageDto implements AccessReportPage {
  @ApiProperty({ type: [AccessReportEntryDto] }) items: AccessReportEntryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
true satisfies Exact<AccessReportPageDto, AccessReportPage>;
