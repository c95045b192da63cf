import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import {
  MAX_METADATA_CHARS,
  RECORD_LIST_VIEWS,
  RECORD_LOOKUP_MAX_IDS,
  type MoveRecordPreview,
  type MoveRecordQuery,
  type MoveRecordRequest,
  type RecordListView,
  type UpdateRecordMetadataRequest,
  type CommitContactWrap,
  type CommitDoctorWrap,
  type CommitRecordRequest,
  type CoveringDoctor,
  type ListRecordsQuery,
  type PresignUploadRequest,
  type PresignUploadResponse,
} from '@phr/shared-types';
import { IsBase64Url, IsSealedKey } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';
import { IsId, IsIdList } from '../../common/ids.js';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { KEY_FIELDS } from '../../identity/protocol-descriptions.js';
import { IsDoctorWrap } from '../../contract/doctor-wrap.js';
import { RecordDetailDto, RecordPageDto, RecordSummaryDto, SegmentUrlDto } from '../../contract/record-summary.dto.js';

export { RecordDetailDto, RecordPageDto, RecordSummaryDto, SegmentUrlDto };

export class PresignUploadDto implements PresignUploadRequest {
  @ApiProperty({ type: Number, minimum: 0, description: 'Plaintext bytes of the file' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  size: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'Renew the URLs of this uncommitted upload' })
  @IsOptional()
  @IsId('4')
  recordId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The folder the record will be committed into: coveringDoctors then takes consents over that folder in' })
  @IsOptional()
  @IsId('4')
  folderId?: string;
}
true satisfies Exact<PresignUploadDto, PresignUploadRequest>;

export class CoveringDoctorDto implements CoveringDoctor {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ description: 'The doctor’s current public key (SPKI, base64url) as the server holds it: prove it in the key directory before wrapping for it' }) publicKey: string;
}
true satisfies Exact<CoveringDoctorDto, CoveringDoctor>;

export class EmergencyKeyForUploadDto {
  @ApiProperty({ description: 'SPKI, base64url' }) publicKey: string;
  @ApiProperty({ description: 'The key’s fingerprint sealed under the patient’s account key, AAD "phr/v1/emergency-key-check|<patientId>"' }) keyCheck: string;
}

export class PresignUploadResponseDto implements PresignUploadResponse {
  @ApiProperty({ format: 'uuid' }) recordId: string;
  @ApiProperty({ description: 'Plaintext bytes per chunk of the record stream (the header repeats it); each sealed chunk is 16 bytes longer' }) chunkBytes: number;
  @ApiProperty({ type: [SegmentUrlDto] }) segments: SegmentUrlDto[];
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ type: [CoveringDoctorDto], description: 'Doctors whose consent in force covers the new record (into the folder named, or none): the commit must carry a wrap for each' })
  coveringDoctors: CoveringDoctorDto[];
  @ApiProperty({ type: [CoveringDoctorDto], description: 'Trusted contacts whose scope takes the new record in (docs/protocol.md "Trusted contacts"): the commit must carry a wrap for each, for the key given' })
  coveringContacts: CoveringDoctorDto[];
  @ApiProperty({ type: EmergencyKeyForUploadDto, nullable: true, description: 'The patient’s break-glass key when break-glass reaches where the record goes: open keyCheck with the account key, compare the fingerprint of publicKey, and send emergencyWrap' })
  emergencyKey: EmergencyKeyForUploadDto | null;
}
true satisfies Exact<PresignUploadResponseDto, PresignUploadResponse>;

export class CommitDoctorWrapDto implements CommitDoctorWrap {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  doctorId: string;

  @IsDoctorWrap(KEY_FIELDS.doctorWrap)
  wrap: string;
}
true satisfies Exact<CommitDoctorWrapDto, CommitDoctorWrap>;

export class CommitContactWrapDto implements CommitContactWrap {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  contactId: string;

  @IsDoctorWrap(KEY_FIELDS.doctorWrap)
  wrap: string;
}
true satisfies Exact<CommitContactWrapDto, CommitContactWrap>;

export class CommitRecordDto implements CommitRecordRequest {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  recordId: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId('4')
  folderId?: string;

  @IsBase64Url(40, MAX_METADATA_CHARS, KEY_FIELDS.metadata)
  metadata: string;

  @IsSealedKey(KEY_FIELDS.ownerWrap)
  ownerWrap: string;

  @ApiPropertyOptional({ type: [CommitDoctorWrapDto], description: 'A wrap for each doctor whose active consent covers the folder (or everything)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CommitDoctorWrapDto)
  doctorWraps?: CommitDoctorWrapDto[];

  @ApiPropertyOptional({ type: [CommitContactWrapDto], description: 'A wrap for each trusted contact whose scope takes the record in (presign’s coveringContacts)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CommitContactWrapDto)
  contactWraps?: CommitContactWrapDto[];
  @ApiPropertyOptional({ description: 'When break-glass reaches where the record goes (the presign answer’s emergencyKey): RSA-OAEP(emergency public key, file key), label "phr/v1/emergency-wrap|<recordId>|<patientId>|<emergencyFingerprint>", 384 bytes, base64url' })
  @IsOptional()
  @IsDoctorWrap('The file key wrapped for the patient’s emergency key')
  emergencyWrap?: string;

  @ApiPropertyOptional({ type: Number, minimum: 1, description: 'The account-key generation that sealed ownerWrap (MyKeys.keyGeneration, or the rotation’s while one is under way); absent: the generation in force. A write under the wrong key is a 409 KEY_ROTATION' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2 ** 31 - 1)
  keyGeneration?: number;
}
true satisfies Exact<CommitRecordDto, CommitRecordRequest>;

export class ListRecordsQueryDto extends PageQueryDto implements ListRecordsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId('4')
  folderId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the records of this patient (a doctor’s view)' })
  @IsOptional()
  @IsId('4')
  ownerId?: string;

  @ApiPropertyOptional({ enum: RECORD_LIST_VIEWS, default: 'active', description: 'The owner’s records in use, or those in the trash (restorable until deleted by the sweep); a doctor lists nothing in the trash' })
  @IsOptional()
  @IsIn(RECORD_LIST_VIEWS)
  view?: RecordListView;

  /** Documented on the route (ApiIdListQuery): a comma-separated list, which a DTO property cannot describe. */
  @IsOptional()
  @IsIdList(RECORD_LOOKUP_MAX_IDS, 'record', '4')
  ids?: string;
}
true satisfies Exact<ListRecordsQueryDto, ListRecordsQuery>;

export class UpdateRecordMetadataDto implements UpdateRecordMetadataRequest {
  @IsBase64Url(40, MAX_METADATA_CHARS, KEY_FIELDS.metadata)
  metadata: string;
}
true satisfies Exact<UpdateRecordMetadataDto, UpdateRecordMetadataRequest>;

export class MoveRecordDto implements MoveRecordRequest {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'A folder of the caller’s, or null for no folder' })
  @ValidateIf((_object, value) => value !== null)
  @IsId('4')
  folderId: string | null;

  @ApiPropertyOptional({ type: [CommitDoctorWrapDto], description: 'A wrap for each doctor whose consent in force covers the record in the destination and who holds none yet (GET /records/:id/move-check)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CommitDoctorWrapDto)
  doctorWraps?: CommitDoctorWrapDto[];
}
true satisfies Exact<MoveRecordDto, MoveRecordRequest>;

export class MoveRecordQueryDto implements MoveRecordQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'The destination folder; absent: no folder' })
  @IsOptional()
  @IsId('4')
  folderId?: string;
}
true satisfies Exact<MoveRecordQueryDto, MoveRecordQuery>;

export class LosingDoctorDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
}

export class MoveRecordPreviewDto implements MoveRecordPreview {
  @ApiProperty({ type: [CoveringDoctorDto], description: 'Doctors whose consent in force covers the record in the destination and who hold no wrap: the move must carry a wrap for each' })
  coveringDoctors: CoveringDoctorDto[];
  @ApiProperty({ type: [LosingDoctorDto], description: 'Doctors who can read the record now and whose wraps the move removes (no consent in force covers it in the destination)' })
  losingDoctors: LosingDoctorDto[];
}
true satisfies Exact<MoveRecordPreviewDto, MoveRecordPreview>;
