import { ApiProperty } from '@nestjs/swagger';
import { CLINICIAN_STATUSES, type ClinicianStanding, type ClinicianStatus } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';

/** A doctor's standing with the operators (clinicians/), as the account (users/) and a session (auth/) show it. */
export class ClinicianStandingDto implements ClinicianStanding {
  @ApiProperty({ enum: CLINICIAN_STATUSES }) status: ClinicianStatus;
  @ApiProperty() licence: string;
  @ApiProperty() organisation: string;
  @ApiProperty({ type: String, nullable: true, description: 'The approving operator (display name); null until approved' }) verifiedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) verifiedAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The operator’s reason for a refusal or a suspension' }) reason: string | null;
}
true satisfies Exact<ClinicianStandingDto, ClinicianStanding>;
