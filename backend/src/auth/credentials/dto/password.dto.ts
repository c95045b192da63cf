import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import type {
  ChangePasswordRequest,
  RecoveryKeysRequest,
  RecoveryKeysResponse,
  RecoveryResetRequest,
} from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { KdfParamsDto } from './kdf-params.dto.js';
import { KEY_FIELDS } from '../../../identity/protocol-descriptions.js';
import { IsProofOfWork, ProofOfWorkSolutionDto } from '../../sign-in/dto/proof-of-work.dto.js';
import { RecoveryMaterialDto } from '../../../contract/key-material.dto.js';
import { IsAccountEmail, IsAuthKey, IsSealedKey } from '../../../identity/validators.js';

/** What a new password brings: its auth key, its KDF parameters, and the account key wrapped under its KEK. */
class NewPasswordDto {
  @IsAuthKey(`The new password's auth key: ${KEY_FIELDS.authKey}`)
  newAuthKey: string;

  @ApiProperty({ type: KdfParamsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => KdfParamsDto)
  newKdf: KdfParamsDto;

  @IsSealedKey(`The same account key under the new password's KEK: ${KEY_FIELDS.wrappedAccountKey}, with the new KDF parameters`)
  newWrappedAccountKey: string;
}

export class ChangePasswordDto extends NewPasswordDto implements ChangePasswordRequest {
  @IsAuthKey(`The current password's auth key (under the account's current KDF parameters): ${KEY_FIELDS.authKey}`)
  currentAuthKey: string;
}
true satisfies Exact<ChangePasswordDto, ChangePasswordRequest>;

export class RecoveryKeysDto implements RecoveryKeysRequest {
  @IsAccountEmail()
  email: string;

  @IsAuthKey(KEY_FIELDS.recoveryAuthKey)
  recoveryAuthKey: string;

  @IsProofOfWork()
  proofOfWork?: ProofOfWorkSolutionDto;
}
true satisfies Exact<RecoveryKeysDto, RecoveryKeysRequest>;

export class RecoveryKeysResponseDto implements RecoveryKeysResponse {
  @IsSealedKey(KEY_FIELDS.recoveryWrappedAccountKey)
  recoveryWrappedAccountKey: string;
}
true satisfies Exact<RecoveryKeysResponseDto, RecoveryKeysResponse>;

export class RecoveryResetDto extends NewPasswordDto implements RecoveryResetRequest {
  @IsAccountEmail()
  email: string;

  @IsAuthKey(KEY_FIELDS.recoveryAuthKey)
  recoveryAuthKey: string;

  @ApiProperty({ type: RecoveryMaterialDto, description: 'a fresh recovery code replaces the used one' })
  @IsObject()
  @ValidateNested()
  @Type(() => RecoveryMaterialDto)
  newRecovery: RecoveryMaterialDto;

  @IsProofOfWork()
  proofOfWork?: ProofOfWorkSolutionDto;
}
true satisfies Exact<RecoveryResetDto, RecoveryResetRequest>;
