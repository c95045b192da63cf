import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ClinicianStandingDto } from '../../../clinicians/dto/clinicians.dto.js';
import { PendingKeyRotationDto } from '../../../key-rotation/dto/key-rotation.dto.js';
import { ROLES, type Me, type MyKeys, type RefreshResponse, type Role, type SessionResponse } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { KdfParamsDto } from '../../credentials/dto/kdf-params.dto.js';

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

export class MyKeysDto implements MyKeys {
  @ApiProperty({ type: KdfParamsDto }) kdf: KdfParamsDto;
  @ApiProperty() wrappedAccountKey: string;
  @ApiProperty() publicKey: string;
  @ApiProperty() wrappedPrivateKey: string;
  @ApiProperty() fingerprint: string;
  @ApiProperty({ description: 'The generation of the account key in force (1 until the first rotation)' }) keyGeneration: number;
  @ApiPropertyOptional({ type: PendingKeyRotationDto, description: 'Only while an account-key rotation is under way: the new key’s wraps (docs/protocol.md "Account-key rotation")' })
  rotation?: PendingKeyRotationDto;
}
true satisfies Exact<MyKeysDto, MyKeys>;

export class SessionResponseDto implements SessionResponse {
  @ApiProperty({ description: 'JWT, at most 15 minutes' }) accessToken: string;
  @ApiProperty() expiresIn: number;
  @ApiProperty({ type: MeDto }) user: MeDto;
  @ApiProperty({ type: MyKeysDto }) keys: MyKeysDto;
}
true satisfies Exact<SessionResponseDto, SessionResponse>;

export class RefreshResponseDto implements RefreshResponse {
  @ApiProperty() accessToken: string;
  @ApiProperty() expiresIn: number;
}
true satisfies Exact<RefreshResponseDto, RefreshResponse>;
