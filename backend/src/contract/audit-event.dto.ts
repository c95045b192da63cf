import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_ACTIONS, type AuditAction, type AuditActorRole, type AuditEvent, type AuditOutcome } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';

/** One row of a trail: a page of GET /audit answers with it, and so does each notification (GET /notifications). */
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
  @ApiProperty() prevHash: string;
  @ApiProperty() hash: string;
}
true satisfies Exact<AuditEventDto, AuditEvent>;
