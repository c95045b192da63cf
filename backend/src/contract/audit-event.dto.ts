import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { AUDIT_ACTIONS, type AuditAction, type AuditActorRole, type AuditEvent, type AuditOutcome } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';

/**
 * One row of a trail: a page of GET /audit answers with it, and so does each notification (GET /notifications).
 * The schema carries the recipe a client verifies a chain with (docs/protocol.md "Audit trail"), for Swagger UI.
 */
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
