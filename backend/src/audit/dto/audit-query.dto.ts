import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_EXPORT_FORMATS,
  type AuditAction,
  type AuditActorRole,
  type AuditEvent,
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

/** The recipe a client verifies a chain with (docs/protocol.md "Audit trail"), on the schema Swagger UI shows. */
@ApiSchema({
  description:
    'One row of a subject’s hash-chained audit trail. Each subject’s rows form one chain, seq 1, 2, 3…: ' +
    'row n carries prevHash = the hash of row n − 1 (64 zeros for row 1) and ' +
    'hash = hex(SHA-256(utf8(prevHash + "\\n" + canonicalAuditRow(row)))), where canonicalAuditRow(row) is ' +
    'JSON.stringify([1, subjectId, seq, occurredAt, actorId, actorRole, action, outcome, reason, recordId, consentId, ip, userAgent, requestId]) ' +
    '(the leading 1 is the encoding version; null fields are JSON null). To verify: read the chain in order with GET /api/audit?afterSeq=0 ' +
    '(pages via nextCursor), recompute each hash, check each prevHash equals the previous row’s hash, and that the last row equals GET /api/audit/head.',
})
export class AuditEventDto implements AuditEvent {
  @ApiProperty({ format: 'uuid' }) subjectId: string;
  @ApiProperty() seq: number;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actorId: string | null;
  @ApiProperty({ nullable: true, enum: ['patient', 'doctor', 'auditor', 'system'], description: '`system` for a scheduled job, which acts for no user' }) actorRole: AuditActorRole | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: AuditAction;
  @ApiProperty({ enum: ['allow', 'deny'] }) outcome: AuditOutcome;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) recordId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) consentId: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ description: 'The hash of the previous row of this subject’s chain (64 zeros for seq 1)', example: '0'.repeat(64) }) prevHash: string;
  @ApiProperty({ description: 'hex(SHA-256(utf8(prevHash + "\\n" + canonicalAuditRow(row)))): see the schema description' }) hash: string;
}
true satisfies Exact<AuditEventDto, AuditEvent>;

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
