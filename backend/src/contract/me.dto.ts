import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Me, type Role } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';
import { ClinicianStandingDto } from './clinician-standing.dto.js';

/** The signed-in account: GET /me (users/) answers it, and a new session (auth/) carries it. */
export class MeDto implements Me {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ type: String, nullable: true, description: "A doctor's specialty; null for other roles or when none was given" }) specialty: string | null;
  @ApiProperty({ description: 'SHA-256 of the public key (SPKI), lowercase hex' }) fingerprint: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: ClinicianStandingDto, nullable: true, description: 'A doctor’s standing with the operators (docs/protocol.md "Clinicians"); null for other roles' })
  clinician: ClinicianStandingDto | null;
}
true satisfies Exact<MeDto, Me>;
