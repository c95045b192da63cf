import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MyKeys, RefreshResponse, SessionResponse } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { PendingKeyRotationDto } from '../../../contract/key-material.dto.js';
import { MeDto } from '../../../contract/me.dto.js';
import { KdfParamsDto } from '../../credentials/dto/kdf-params.dto.js';

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
  @ApiPropertyOptional({ enum: [true], description: 'Present when the role requires a second factor and the account has none: the token may only enrol one (docs/protocol.md "Second factors")' })
  mustEnrolSecondFactor?: true;
}
true satisfies Exact<SessionResponseDto, SessionResponse>;

export class RefreshResponseDto implements RefreshResponse {
  @ApiProperty() accessToken: string;
  @ApiProperty() expiresIn: number;
  @ApiPropertyOptional({ enum: [true], description: 'As in the sign-in answer: still no second factor on an account whose role requires one' })
  mustEnrolSecondFactor?: true;
}
true satisfies Exact<RefreshResponseDto, RefreshResponse>;
