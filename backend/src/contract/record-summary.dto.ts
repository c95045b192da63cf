import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { RecordDetail, RecordPage, RecordSummary, SegmentUrl } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';
import { KEY_FIELDS } from '../identity/protocol-descriptions.js';

/*
 * A record as a reader gets it (its summary, its detail with GET URLs, a page of them): the
 * records routes answer with it, and so do a trusted contact's (docs/protocol.md "Trusted contacts").
 */

export class SegmentUrlDto implements SegmentUrl {
  @ApiProperty() index: number;
  @ApiProperty({ description: 'Pre-signed URL (AWS Signature V4, query-string form)' }) url: string;
  @ApiProperty({ description: 'Ciphertext bytes this segment object must hold; a PUT sends exactly this many (Content-Length is signed)' }) byteLength: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'If-None-Match': '*' },
    description: 'Headers to send exactly as given (they are signed). Upload URLs carry If-None-Match: * (a stored segment is never replaced; 412 means it is already there).',
  })
  headers?: Record<string, string>;
}
true satisfies Exact<SegmentUrlDto, SegmentUrl>;

export class RecordSummaryDto implements RecordSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) folderId: string | null;
  @ApiProperty({ description: 'Plaintext bytes, as given to POST /records/presign' }) size: number;
  @ApiProperty({ description: 'Plaintext bytes per chunk of the record stream' }) chunkBytes: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ description: KEY_FIELDS.metadata }) metadata: string;
  @ApiProperty({ description: `The caller's wrap of the file key: the owner's (${KEY_FIELDS.ownerWrap}) or a doctor's or trusted contact's (${KEY_FIELDS.doctorWrap})` }) wrap: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the owner moved the record to the trash; null for a record in use (a doctor never sees one in the trash)' })
  trashedAt: string | null;
}
true satisfies Exact<RecordSummaryDto, RecordSummary>;

export class RecordDetailDto extends RecordSummaryDto implements RecordDetail {
  @ApiProperty({ type: [SegmentUrlDto] }) segments: SegmentUrlDto[];
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
}
true satisfies Exact<RecordDetailDto, RecordDetail>;

export class RecordPageDto implements RecordPage {
  @ApiProperty({ type: [RecordSummaryDto] }) items: RecordSummaryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
true satisfies Exact<RecordPageDto, RecordPage>;
