import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDateString, IsIn, IsObject, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import {
  CLINICIAN_STATUSES,
  type ClinicianStatus,
  CONSENT_SCOPES,
  CONSENT_STATUSES,
  MAX_REWRAPS_PER_REQUEST,
  type Consent,
  type ConsentPage,
  type ConsentScope,
  type ConsentStatus,
  type CreateConsentRequest,
  type DoctorList,
  type DoctorSearchRequest,
  type DoctorSummary,
  type DoctorWrap,
  type ListConsentsQuery,
  type RewrapConsentRequest,
  type RewrapConsentResult,
  type SealedFolderLabel,
  type UpdateConsentRequest,
  DOCTOR_WRAP_BYTES,
  MAX_FOLDER_LABEL_NAME_CHARS,
} from '@phr/shared-types';
import { IsDoctorWrap } from '../../contract/doctor-wrap.js';
import { KEY_FIELDS } from '../../identity/protocol-descriptions.js';
import type { Exact } from '../../common/exact.js';
import { IsId } from '../../common/ids.js';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { IsPlainText } from '../../common/plain-text.js';
import { base64UrlLength, IsBase64Url } from '../../identity/validators.js';

/** Records one consent may cover in one request. */
export const MAX_WRAPS_PER_CONSENT = 10_000;

/**
 * The body of POST /consents at its largest: one wrap of about 575 bytes of
 * JSON per record (a 512-character RSA-OAEP wrap and a record id), plus the
 * other fields. Sharing all of 10,000 records must fit; the API-wide limit
 * (64 KiB by default) would stop at about 114.
 */
export const CONSENT_BODY_LIMIT_BYTES = MAX_WRAPS_PER_CONSENT * 640 + 64 * 1024;

export class DoctorWrapDto implements DoctorWrap {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  recordId: string;

  @IsDoctorWrap(KEY_FIELDS.doctorWrap)
  wrap: string;
}
true satisfies Exact<DoctorWrapDto, DoctorWrap>;

/** A folder's name sealed for the doctor (docs/protocol.md "Folder labels"): the server checks its shape and size only. */
export class SealedFolderLabelDto implements SealedFolderLabel {
  @IsBase64Url(base64UrlLength(DOCTOR_WRAP_BYTES), base64UrlLength(DOCTOR_WRAP_BYTES), KEY_FIELDS.folderLabelWrap)
  wrap: string;

  @IsBase64Url(40, MAX_FOLDER_LABEL_NAME_CHARS, KEY_FIELDS.folderLabelName)
  name: string;
}
true satisfies Exact<SealedFolderLabelDto, SealedFolderLabel>;

/** An optional nested folder label, checked field by field (400 naming folderLabel.wrap or folderLabel.name). */
const IsOptionalFolderLabel = (description: string): PropertyDecorator => {
  const decorators = [ApiPropertyOptional({ type: SealedFolderLabelDto, description }), IsOptional(), IsObject(), ValidateNested(), Type(() => SealedFolderLabelDto)];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
};

export class CreateConsentDto implements CreateConsentRequest {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  doctorId: string;

  @ApiProperty({ enum: CONSENT_SCOPES })
  @IsIn(CONSENT_SCOPES)
  scope: ConsentScope;

  @ApiPropertyOptional({ format: 'uuid', description: 'With scope "record"' })
  @IsOptional()
  @IsId('4')
  recordId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'With scope "folder"' })
  @IsOptional()
  @IsId('4')
  folderId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'In the future; none means until revoked' })
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({ maxLength: 200, description: 'Shown to the doctor; one line, not blank' })
  @IsOptional()
  @IsPlainText(1, 200)
  purpose?: string;

  @ApiProperty({ type: [DoctorWrapDto], description: 'One wrap for every record in scope, no more' })
  @IsArray()
  @ArrayMaxSize(MAX_WRAPS_PER_CONSENT)
  @ValidateNested({ each: true })
  @Type(() => DoctorWrapDto)
  wraps: DoctorWrapDto[];

  @ApiPropertyOptional({ pattern: '^[0-9a-f]{64}$', description: 'Fingerprint (lower-case hex) of the doctor key the wraps were made for; must be the doctor’s current key' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'fingerprint must be 64 lower-case hex digits' })
  fingerprint?: string;

  @IsOptionalFolderLabel('With scope "folder" only: the folder’s name sealed for the doctor (docs/protocol.md "Folder labels"); the server never sees the name')
  folderLabel?: SealedFolderLabelDto;
}
true satisfies Exact<CreateConsentDto, CreateConsentRequest>;

export class UpdateConsentDto implements UpdateConsentRequest {
  @ApiProperty({ enum: ['revoked'] })
  @IsIn(['revoked'])
  status: 'revoked';
}
true satisfies Exact<UpdateConsentDto, UpdateConsentRequest>;

export class ListConsentsQueryDto extends PageQueryDto implements ListConsentsQuery {
  @ApiPropertyOptional({ enum: CONSENT_STATUSES })
  @IsOptional()
  @IsIn(CONSENT_STATUSES)
  status?: ConsentStatus;
}
true satisfies Exact<ListConsentsQueryDto, ListConsentsQuery>;

export class ConsentDto implements Consent {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() patientName: string;
  @ApiProperty({ format: 'uuid' }) doctorId: string;
  @ApiProperty() doctorName: string;
  @ApiProperty({ enum: CONSENT_SCOPES }) scope: ConsentScope;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) recordId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) folderId: string | null;
  @ApiProperty({ nullable: true, type: String }) purpose: string | null;
  @ApiProperty({ nullable: true, type: SealedFolderLabelDto, description: 'A folder-scoped consent’s folder name sealed for the doctor, or null; only the doctor’s private key opens it' })
  folderLabel: SealedFolderLabelDto | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ enum: CONSENT_STATUSES }) status: ConsentStatus;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ minimum: 0, description: 'Wraps in scope made for a key the doctor has since replaced: the patient re-makes them (PUT /consents/:id/wraps)' })
  staleWraps: number;
  @ApiProperty({ enum: CLINICIAN_STATUSES, description: 'The doctor’s standing with the operators: while it is not approved (suspended), the consent lets the doctor read nothing' })
  doctorStatus: ClinicianStatus;
}
true satisfies Exact<ConsentDto, Consent>;

export class RewrapConsentDto implements RewrapConsentRequest {
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'Fingerprint (SHA-256 of the SPKI, lower-case hex) of the key the wraps were made for: the doctor’s current key' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'fingerprint must be 64 lower-case hex digits' })
  fingerprint: string;

  @ApiProperty({ type: [DoctorWrapDto], description: `1 to ${MAX_REWRAPS_PER_REQUEST} wraps, each of a record in the consent’s scope, each record once; none only with folderLabel` })
  @IsArray()
  @ArrayMaxSize(MAX_REWRAPS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => DoctorWrapDto)
  wraps: DoctorWrapDto[];

  @IsOptionalFolderLabel('A folder-scoped consent’s folder label sealed again for the doctor’s current key (`fingerprint`); replaces the stored one')
  folderLabel?: SealedFolderLabelDto;
}
true satisfies Exact<RewrapConsentDto, RewrapConsentRequest>;

export class RewrapConsentResultDto implements RewrapConsentResult {
  @ApiProperty({ minimum: 1 }) replaced: number;
  @ApiProperty({ minimum: 0, description: 'Wraps in scope still made for a replaced key' }) staleWraps: number;
}
true satisfies Exact<RewrapConsentResultDto, RewrapConsentResult>;

export class ConsentPageDto implements ConsentPage {
  @ApiProperty({ type: [ConsentDto] }) items: ConsentDto[];
  @ApiProperty({ type: String, nullable: true, description: 'The cursor of the next page, or null when this page is the last' }) nextCursor: string | null;
}
true satisfies Exact<ConsentPageDto, ConsentPage>;

export class DoctorSearchRequestDto implements DoctorSearchRequest {
  @ApiProperty({ minLength: 2, maxLength: 100, description: 'A fragment of the name or email; one line, no control characters' })
  @IsPlainText(2, 100)
  q: string;
}
true satisfies Exact<DoctorSearchRequestDto, DoctorSearchRequest>;

export class DoctorSummaryDto implements DoctorSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ nullable: true, type: String }) specialty: string | null;
  @ApiProperty({ description: 'SPKI, base64url' }) publicKey: string;
  @ApiProperty({ description: 'SHA-256 of the SPKI, hex' }) fingerprint: string;
  @ApiProperty({ description: 'The organisation an operator vouched for' }) organisation: string;
  @ApiProperty({ description: 'The operator who approved this clinician (display name)' }) verifiedBy: string;
  @ApiProperty({ format: 'date-time' }) verifiedAt: string;
  @ApiProperty({ description: 'Another approved clinician’s name has the same Unicode TR39 skeleton (looks the same): tell them apart by organisation and fingerprint' })
  looksLikeAnother: boolean;
}
true satisfies Exact<DoctorSummaryDto, DoctorSummary>;

export class DoctorListDto implements DoctorList {
  @ApiProperty({ type: [DoctorSummaryDto] }) items: DoctorSummaryDto[];
}
true satisfies Exact<DoctorListDto, DoctorList>;
