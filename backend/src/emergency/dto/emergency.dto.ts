import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import {
  EMERGENCY_BREAK_STATES,
  EMERGENCY_MAX_HOLDERS,
  EMERGENCY_MAX_HOURS,
  EMERGENCY_REASON_CODES,
  EMERGENCY_REASON_TEXT_MAX_CHARS,
  EMERGENCY_REASON_TEXT_MIN_CHARS,
  EMERGENCY_REVIEW_NOTE_MAX_CHARS,
  EMERGENCY_REVIEW_OUTCOMES,
  EMERGENCY_SCOPES,
  ROLES,
  type BreakGlassRequest,
  type ConfigureEmergencyRequest,
  type EmergencyAccess,
  type EmergencyBreak,
  type EmergencyBreakList,
  type EmergencyBreakState,
  type EmergencyHolder,
  type EmergencyHolderCandidate,
  type EmergencyHolderCandidates,
  type EmergencyHolderRequest,
  type EmergencyHolderShare,
  type EmergencyReasonCode,
  type EmergencyReviewOutcome,
  type EmergencyReviewQuery,
  type EmergencyScope,
  type EmergencySetup,
  type EmergencyShareRequest,
  type EmergencyShareRequests,
  type EmergencyWrap,
  type RecordDetail,
  type ReleaseEmergencyShareRequest,
  type SegmentUrl,
  type ReviewEmergencyRequest,
  type Role,
} from '@phr/shared-types';
import { IsDoctorWrap } from '../../contract/doctor-wrap.js';
import type { Exact } from '../../common/exact.js';
import { IsId } from '../../common/ids.js';
import { IsPlainText } from '../../common/plain-text.js';
import { IsAccountEmail, IsPublicKey, IsSealedKey } from '../../identity/validators.js';

/** Records one setup may wrap for the emergency key in one request (as a consent). */
export const MAX_EMERGENCY_WRAPS = 10_000;
/** The body of PUT /emergency/setup at its largest: one wrap of about 575 bytes of JSON per record, plus the rest. */
export const EMERGENCY_BODY_LIMIT_BYTES = MAX_EMERGENCY_WRAPS * 640 + 64 * 1024;

const SHARE = 'RSA-OAEP-SHA256(holder public key, Shamir share of the 32-byte emergency secret), label "phr/v1/emergency-share|<patientId>|<holderId>|<fingerprint>", 384 bytes, base64url';
const RELEASED = 'RSA-OAEP-SHA256(clinician public key, the same share), label "phr/v1/emergency-release|<breakId>|<clinicianId>|<fingerprint>", 384 bytes, base64url';
const EMERGENCY_WRAP = 'RSA-OAEP-SHA256(emergency public key, 32-byte file key), label "phr/v1/emergency-wrap|<recordId>|<patientId>|<emergencyFingerprint>", 384 bytes, base64url';
const FINGERPRINT = /^[0-9a-f]{64}$/;
const FINGERPRINT_MESSAGE = 'fingerprint must be 64 lower-case hex digits';

export class EmergencyHolderShareDto implements EmergencyHolderShare {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  holderId: string;

  @ApiProperty({ pattern: FINGERPRINT.source, description: 'The holder key the share was wrapped for: their current key' })
  @IsString()
  @Matches(FINGERPRINT, { message: FINGERPRINT_MESSAGE })
  fingerprint: string;

  @IsDoctorWrap(SHARE)
  share: string;
}
true satisfies Exact<EmergencyHolderShareDto, EmergencyHolderShare>;

export class EmergencyWrapDto implements EmergencyWrap {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  recordId: string;

  @IsDoctorWrap(EMERGENCY_WRAP)
  wrap: string;
}
true satisfies Exact<EmergencyWrapDto, EmergencyWrap>;

export class ConfigureEmergencyDto implements ConfigureEmergencyRequest {
  @ApiProperty({ enum: EMERGENCY_SCOPES })
  @IsIn(EMERGENCY_SCOPES)
  scope: EmergencyScope;

  @ApiPropertyOptional({ format: 'uuid', description: 'With scope "folder" only' })
  @IsOptional()
  @IsId('4')
  folderId?: string;

  @ApiPropertyOptional({ description: 'The emergency RSA-OAEP public key (SPKI, base64url, 3072 bits, e = 65537); required unless scope is "off"' })
  @IsOptional()
  @IsPublicKey('The emergency public key')
  publicKey?: string;

  @ApiPropertyOptional({ description: 'The emergency private key (PKCS#8) sealed under the emergency secret (AES-256-GCM, AAD "phr/v1/emergency-key|<patientId>|<fingerprint>"); required unless scope is "off"' })
  @IsOptional()
  @IsSealedKey('The emergency private key sealed under the emergency secret')
  sealedPrivateKey?: string;

  @ApiPropertyOptional({ description: 'The emergency key’s fingerprint sealed under the patient’s account key (AAD "phr/v1/emergency-key-check|<patientId>"); required unless scope is "off"' })
  @IsOptional()
  @IsSealedKey('The emergency key’s fingerprint sealed under the account key')
  keyCheck?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: EMERGENCY_MAX_HOLDERS, description: 'k: shares needed; at most the number of holders' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(EMERGENCY_MAX_HOLDERS)
  threshold?: number;

  @ApiPropertyOptional({ type: [EmergencyHolderShareDto], description: `1 to ${EMERGENCY_MAX_HOLDERS} holders, each once` })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(EMERGENCY_MAX_HOLDERS)
  @ValidateNested({ each: true })
  @Type(() => EmergencyHolderShareDto)
  holders?: EmergencyHolderShareDto[];

  @ApiPropertyOptional({ type: [EmergencyWrapDto], description: 'One wrap for every record in scope, no more' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_EMERGENCY_WRAPS)
  @ValidateNested({ each: true })
  @Type(() => EmergencyWrapDto)
  wraps?: EmergencyWrapDto[];

  @ApiPropertyOptional({ minimum: 1, maximum: EMERGENCY_MAX_HOURS, description: 'The time box of a break-glass, hours (default 24)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(EMERGENCY_MAX_HOURS)
  hours?: number;
}
true satisfies Exact<ConfigureEmergencyDto, ConfigureEmergencyRequest>;

export class EmergencyHolderDto implements EmergencyHolder {
  @ApiProperty({ format: 'uuid' }) holderId: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ description: 'The holder key the share was wrapped for' }) fingerprint: string;
}
true satisfies Exact<EmergencyHolderDto, EmergencyHolder>;

export class EmergencySetupDto implements EmergencySetup {
  @ApiProperty({ enum: EMERGENCY_SCOPES }) scope: EmergencyScope;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) folderId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SPKI, base64url' }) publicKey: string | null;
  @ApiProperty({ nullable: true, type: String }) fingerprint: string | null;
  @ApiProperty({ nullable: true, type: Number }) threshold: number | null;
  @ApiProperty() hours: number;
  @ApiProperty({ type: [EmergencyHolderDto] }) holders: EmergencyHolderDto[];
  @ApiProperty() generation: number;
  @ApiProperty({ description: 'A clinician broke the glass on this key: make a new one' }) needsRekey: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) updatedAt: string | null;
}
true satisfies Exact<EmergencySetupDto, EmergencySetup>;

export class EmergencyHolderRequestDto implements EmergencyHolderRequest {
  @IsAccountEmail()
  email: string;
}
true satisfies Exact<EmergencyHolderRequestDto, EmergencyHolderRequest>;

export class EmergencyHolderCandidateDto implements EmergencyHolderCandidate {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ description: 'SPKI, base64url' }) publicKey: string;
  @ApiProperty({ description: 'SHA-256 of the SPKI, hex' }) fingerprint: string;
  @ApiProperty({ nullable: true, type: String }) organisation: string | null;
}
true satisfies Exact<EmergencyHolderCandidateDto, EmergencyHolderCandidate>;

export class EmergencyHolderCandidatesDto implements EmergencyHolderCandidates {
  @ApiProperty({ type: [EmergencyHolderCandidateDto] }) items: EmergencyHolderCandidateDto[];
}
true satisfies Exact<EmergencyHolderCandidatesDto, EmergencyHolderCandidates>;

export class BreakGlassDto implements BreakGlassRequest {
  @IsAccountEmail()
  patientEmail: string;

  @ApiProperty({ enum: EMERGENCY_REASON_CODES, description: 'HL7 v3 ActReason: ETREAT, ERTREAT, BTG, PATRQT' })
  @IsIn(EMERGENCY_REASON_CODES)
  reasonCode: EmergencyReasonCode;

  @ApiProperty({ minLength: EMERGENCY_REASON_TEXT_MIN_CHARS, maxLength: EMERGENCY_REASON_TEXT_MAX_CHARS, description: 'Why, in the clinician’s words; one line' })
  @IsPlainText(EMERGENCY_REASON_TEXT_MIN_CHARS, EMERGENCY_REASON_TEXT_MAX_CHARS)
  reasonText: string;
}
true satisfies Exact<BreakGlassDto, BreakGlassRequest>;

export class EmergencyBreakDto implements EmergencyBreak {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() patientName: string;
  @ApiProperty({ format: 'uuid' }) clinicianId: string;
  @ApiProperty() clinicianName: string;
  @ApiProperty({ nullable: true, type: String }) clinicianOrganisation: string | null;
  @ApiProperty({ enum: EMERGENCY_REASON_CODES }) reasonCode: EmergencyReasonCode;
  @ApiProperty() reasonText: string;
  @ApiProperty({ enum: EMERGENCY_SCOPES }) scope: EmergencyScope;
  @ApiProperty() threshold: number;
  @ApiProperty() sharesReleased: number;
  @ApiProperty({ enum: EMERGENCY_BREAK_STATES }) state: EmergencyBreakState;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endedAt: string | null;
  @ApiProperty({ enum: EMERGENCY_REVIEW_OUTCOMES, nullable: true }) reviewOutcome: EmergencyReviewOutcome | null;
  @ApiProperty({ nullable: true, type: String }) reviewNote: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) reviewedAt: string | null;
}
true satisfies Exact<EmergencyBreakDto, EmergencyBreak>;

export class EmergencyBreakListDto implements EmergencyBreakList {
  @ApiProperty({ type: [EmergencyBreakDto] }) items: EmergencyBreakDto[];
}
true satisfies Exact<EmergencyBreakListDto, EmergencyBreakList>;

export class EmergencyShareRequestDto implements EmergencyShareRequest {
  @ApiProperty({ type: EmergencyBreakDto }) breakGlass: EmergencyBreakDto;
  @ApiProperty({ description: 'SPKI, base64url: prove it in the key directory before wrapping for it' }) clinicianPublicKey: string;
  @ApiProperty() clinicianFingerprint: string;
  @ApiProperty({ type: EmergencyHolderShareDto }) share: EmergencyHolderShareDto;
}
true satisfies Exact<EmergencyShareRequestDto, EmergencyShareRequest>;

export class EmergencyShareRequestsDto implements EmergencyShareRequests {
  @ApiProperty({ type: [EmergencyShareRequestDto] }) items: EmergencyShareRequestDto[];
}
true satisfies Exact<EmergencyShareRequestsDto, EmergencyShareRequests>;

export class ReleaseEmergencyShareDto implements ReleaseEmergencyShareRequest {
  @ApiProperty({ pattern: FINGERPRINT.source, description: 'The clinician key the share was wrapped for: their current key' })
  @IsString()
  @Matches(FINGERPRINT, { message: FINGERPRINT_MESSAGE })
  fingerprint: string;

  @IsDoctorWrap(RELEASED)
  share: string;
}
true satisfies Exact<ReleaseEmergencyShareDto, ReleaseEmergencyShareRequest>;

class ReleasedShareDto {
  @ApiProperty({ format: 'uuid' }) holderId: string;
  @ApiProperty({ description: RELEASED }) share: string;
}

class EmergencyRecordDto {
  @ApiProperty({ format: 'uuid' }) recordId: string;
  @ApiProperty({ description: EMERGENCY_WRAP }) wrap: string;
  @ApiProperty({ description: 'Sealed metadata (under the file key)' }) metadata: string;
  @ApiProperty() size: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class EmergencyAccessDto implements EmergencyAccess {
  @ApiProperty({ type: EmergencyBreakDto }) breakGlass: EmergencyBreakDto;
  @ApiProperty({ type: [ReleasedShareDto] }) shares: ReleasedShareDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Once open' }) publicKey: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Once open: the emergency private key sealed under the emergency secret' }) sealedPrivateKey: string | null;
  @ApiProperty({ type: [EmergencyRecordDto], description: 'Once open: the records in scope' }) records: EmergencyRecordDto[];
}
true satisfies Exact<EmergencyAccessDto, EmergencyAccess>;

class EmergencySegmentUrlDto implements SegmentUrl {
  @ApiProperty() index: number;
  @ApiProperty({ description: 'Pre-signed GET URL (AWS Signature V4, query-string form), about a minute long' }) url: string;
  @ApiProperty() byteLength: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } }) headers?: Record<string, string>;
}
true satisfies Exact<EmergencySegmentUrlDto, SegmentUrl>;

/** A record read under break-glass: RecordDetail, its `wrap` being the emergency wrap (records/'s DTO is that module's own). */
export class EmergencyRecordDetailDto implements RecordDetail {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) folderId: string | null;
  @ApiProperty() size: number;
  @ApiProperty() chunkBytes: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ description: 'Sealed metadata (under the file key)' }) metadata: string;
  @ApiProperty({ description: EMERGENCY_WRAP }) wrap: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Always null: break-glass shows no record in the trash' }) trashedAt: string | null;
  @ApiProperty({ type: [EmergencySegmentUrlDto] }) segments: EmergencySegmentUrlDto[];
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
}
true satisfies Exact<EmergencyRecordDetailDto, RecordDetail>;

export class EmergencyReviewQueryDto implements EmergencyReviewQuery {
  @ApiPropertyOptional({ enum: ['pending', 'reviewed'] })
  @IsOptional()
  @IsIn(['pending', 'reviewed'])
  status?: 'pending' | 'reviewed';
}
true satisfies Exact<EmergencyReviewQueryDto, EmergencyReviewQuery>;

export class ReviewEmergencyDto implements ReviewEmergencyRequest {
  @ApiProperty({ enum: EMERGENCY_REVIEW_OUTCOMES })
  @IsIn(EMERGENCY_REVIEW_OUTCOMES)
  outcome: EmergencyReviewOutcome;

  @ApiProperty({ minLength: 1, maxLength: EMERGENCY_REVIEW_NOTE_MAX_CHARS, description: 'The auditor’s note; one line' })
  @IsPlainText(1, EMERGENCY_REVIEW_NOTE_MAX_CHARS)
  note: string;
}
true satisfies Exact<ReviewEmergencyDto, ReviewEmergencyRequest>;
