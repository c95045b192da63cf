import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import {
  CLINICIAN_ORIGINS,
  CLINICIAN_REASON_MAX_LENGTH,
  CLINICIAN_STATUSES,
  DISPLAY_NAME_MAX_LENGTH,
  LICENCE_MAX_LENGTH,
  ORGANISATION_MAX_LENGTH,
  SPECIALTY_MAX_LENGTH,
  type ClinicianInvitationSent,
  type ClinicianList,
  type ClinicianOrigin,
  type ClinicianReasonRequest,
  type ClinicianStatus,
  type ClinicianSummary,
  type InviteClinicianRequest,
  type ListCliniciansQuery,
  type LookAlike,
  type NameCheck,
} from '@phr/shared-types';
import { IsAccountEmail } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { IsPlainText } from '../../common/plain-text.js';

export class LookAlikeDto implements LookAlike {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
  @ApiProperty() organisation: string;
}
true satisfies Exact<LookAlikeDto, LookAlike>;

export class NameCheckDto implements NameCheck {
  @ApiProperty({ description: 'Letters of more than one script (a Cyrillic "А" among Latin letters): approval is refused' }) mixedScript: boolean;
  @ApiProperty({ type: [LookAlikeDto], description: 'Approved clinicians whose names have the same Unicode TR39 skeleton; approval is refused unless the names are identical' })
  looksLike: LookAlikeDto[];
}
true satisfies Exact<NameCheckDto, NameCheck>;

export class ClinicianSummaryDto implements ClinicianSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ type: String, nullable: true }) specialty: string | null;
  @ApiProperty() licence: string;
  @ApiProperty() organisation: string;
  @ApiProperty({ enum: CLINICIAN_STATUSES }) status: ClinicianStatus;
  @ApiProperty({ enum: CLINICIAN_ORIGINS, description: 'invitation: an operator invited them; request: they registered and asked' }) origin: ClinicianOrigin;
  @ApiProperty({ format: 'date-time' }) requestedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) decidedAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The operator of the last decision (display name)' }) decidedBy: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: NameCheckDto }) nameCheck: NameCheckDto;
}
true satisfies Exact<ClinicianSummaryDto, ClinicianSummary>;

export class ClinicianListDto implements ClinicianList {
  @ApiProperty({ type: [ClinicianSummaryDto] }) items: ClinicianSummaryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' }) nextCursor: string | null;
}
true satisfies Exact<ClinicianListDto, ClinicianList>;

export class ListCliniciansQueryDto extends PageQueryDto implements ListCliniciansQuery {
  @ApiPropertyOptional({ enum: CLINICIAN_STATUSES, description: 'Only clinicians in this standing (pending: the approval queue)' })
  @IsOptional()
  @IsIn(CLINICIAN_STATUSES)
  status?: ClinicianStatus;
}
true satisfies Exact<ListCliniciansQueryDto, ListCliniciansQuery>;

export class InviteClinicianDto implements InviteClinicianRequest {
  @IsAccountEmail()
  email: string;

  @ApiProperty({ type: String, minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH, example: 'Dr Sam Okafor', description: 'The name patients will see; one line, one script' })
  @IsPlainText(1, DISPLAY_NAME_MAX_LENGTH)
  displayName: string;

  @ApiProperty({ type: String, maxLength: LICENCE_MAX_LENGTH, example: 'GMC 7012345' })
  @IsPlainText(1, LICENCE_MAX_LENGTH)
  licence: string;

  @ApiProperty({ type: String, maxLength: ORGANISATION_MAX_LENGTH, example: 'St Mary’s Hospital' })
  @IsPlainText(1, ORGANISATION_MAX_LENGTH)
  organisation: string;

  @ApiPropertyOptional({ type: String, maxLength: SPECIALTY_MAX_LENGTH, example: 'Cardiology' })
  @IsOptional()
  @IsPlainText(1, SPECIALTY_MAX_LENGTH)
  specialty?: string;
}
true satisfies Exact<InviteClinicianDto, InviteClinicianRequest>;

export class ClinicianInvitationSentDto implements ClinicianInvitationSent {
  @ApiProperty() email: string;
  @ApiProperty({ format: 'date-time', description: 'Until when the mailed code can be redeemed (POST /auth/register-invited)' }) expiresAt: string;
}
true satisfies Exact<ClinicianInvitationSentDto, ClinicianInvitationSent>;

export class ClinicianReasonDto implements ClinicianReasonRequest {
  @ApiProperty({ type: String, minLength: 1, maxLength: CLINICIAN_REASON_MAX_LENGTH, description: 'Shown to the clinician; one line' })
  @IsPlainText(1, CLINICIAN_REASON_MAX_LENGTH)
  reason: string;
}
true satisfies Exact<ClinicianReasonDto, ClinicianReasonRequest>;
