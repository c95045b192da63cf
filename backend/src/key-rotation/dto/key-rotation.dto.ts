import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import {
  KEY_ROTATION_BATCH_MAX,
  KEY_ROTATION_NEXT_ROWS,
  type FinishKeyRotationRequest,
  type KeyRotationBatchRequest,
  type KeyRotationFinished,
  type KeyRotationState,
  type KeyRotationUnderWay,
  type RotatedFolderName,
  type RotatedOwnerWrap,
  type RotationCount,
  type StartKeyRotationRequest,
} from '@phr/shared-types';
import { KEY_FIELDS } from '../../identity/protocol-descriptions.js';
import { IsAuthKey, IsBase64Url, IsSealedKey } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';
import { CLIENT_STATE_BODY_LIMIT_BYTES, PutClientStateDto } from '../../contract/client-state.dto.js';
import { RecoveryMaterialDto } from '../../contract/key-material.dto.js';
import { IsId } from '../../common/ids.js';

/** A full batch (25 folder names of 2 048 characters) fits with room to spare; a larger body is a 413 before parsing. */
export const KEY_ROTATION_BATCH_BODY_LIMIT_BYTES = 128 * 1024;
/** The finish carries the re-sealed client state, up to its own limit. */
export const KEY_ROTATION_FINISH_BODY_LIMIT_BYTES = CLIENT_STATE_BODY_LIMIT_BYTES + 4 * 1024;

const IsGeneration = (description: string): PropertyDecorator => (target, key) => {
  ApiProperty({ type: Number, minimum: 2, example: 2, description })(target, key);
  IsInt()(target, key);
  Min(2)(target, key);
  Max(2 ** 31 - 1)(target, key);
};

export class StartKeyRotationDto implements StartKeyRotationRequest {
  @IsAuthKey('auth key derived from the current password (re-authentication)')
  currentAuthKey: string;

  @IsSealedKey(`The NEW account key under the current password's KEK and KDF parameters. ${KEY_FIELDS.wrappedAccountKey}`)
  wrappedAccountKey: string;

  @IsSealedKey(`The same private key under the NEW account key. ${KEY_FIELDS.wrappedPrivateKey}`)
  wrappedPrivateKey: string;

  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'Fingerprint (SHA-256 of the SPKI, lower-case hex) of the public key of that private key: the account’s current key, else 409 KEY_CHANGED' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'fingerprint must be 64 lower-case hex digits' })
  fingerprint: string;
}
true satisfies Exact<StartKeyRotationDto, StartKeyRotationRequest>;

export class RotatedOwnerWrapDto implements RotatedOwnerWrap {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  recordId: string;

  @IsSealedKey(KEY_FIELDS.ownerWrap)
  wrap: string;
}
true satisfies Exact<RotatedOwnerWrapDto, RotatedOwnerWrap>;

export class RotatedFolderNameDto implements RotatedFolderName {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  folderId: string;

  @IsBase64Url(40, 2048, KEY_FIELDS.folderName)
  name: string;
}
true satisfies Exact<RotatedFolderNameDto, RotatedFolderName>;

export class KeyRotationBatchDto implements KeyRotationBatchRequest {
  @IsGeneration('The generation of the rotation under way (409 otherwise)')
  generation: number;

  @ApiProperty({ type: [RotatedOwnerWrapDto], description: `Owner wraps re-sealed under the new key; with folders at most ${KEY_ROTATION_BATCH_MAX} rows (413 beyond), at least one` })
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => RotatedOwnerWrapDto)
  ownerWraps: RotatedOwnerWrapDto[];

  @ApiProperty({ type: [RotatedFolderNameDto], description: 'Folder names re-sealed under the new key' })
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => RotatedFolderNameDto)
  folders: RotatedFolderNameDto[];
}
true satisfies Exact<KeyRotationBatchDto, KeyRotationBatchRequest>;

export class FinishKeyRotationDto implements FinishKeyRotationRequest {
  @IsGeneration('The generation of the rotation under way (409 otherwise)')
  generation: number;

  @ApiProperty({ type: RecoveryMaterialDto, description: 'A NEW recovery code for the new key; the old code stops working' })
  @IsObject()
  @ValidateNested()
  @Type(() => RecoveryMaterialDto)
  recovery: RecoveryMaterialDto;

  @ApiPropertyOptional({ type: PutClientStateDto, description: 'The client state re-sealed under the new key, on the version read; required when one is stored (409 otherwise)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PutClientStateDto)
  clientState?: PutClientStateDto;

  @ApiPropertyOptional({ type: String, description: 'The break-glass key check re-sealed under the new key (sealed blob, AAD "phr/v1/emergency-key-check|<patientId>"); required when the account has one (409 otherwise)' })
  @IsOptional()
  @IsSealedKey('The break-glass key check re-sealed under the new key')
  emergencyKeyCheck?: string;
}
true satisfies Exact<FinishKeyRotationDto, FinishKeyRotationRequest>;

export class RotationCountDto implements RotationCount {
  @ApiProperty({ description: 'Rows sealed under the new key' }) done: number;
  @ApiProperty({ description: 'Rows still under the old key' }) remaining: number;
}
true satisfies Exact<RotationCountDto, RotationCount>;

class NextRowsDto {
  @ApiProperty({ type: [RotatedOwnerWrapDto] }) ownerWraps: RotatedOwnerWrapDto[];
  @ApiProperty({ type: [RotatedFolderNameDto] }) folders: RotatedFolderNameDto[];
}

export class KeyRotationUnderWayDto implements KeyRotationUnderWay {
  @ApiProperty({ description: 'The generation of the new key' }) generation: number;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ description: 'Batches accepted so far' }) batches: number;
  @ApiProperty({ type: RotationCountDto }) ownerWraps: RotationCountDto;
  @ApiProperty({ type: RotationCountDto }) folders: RotationCountDto;
  @ApiProperty({ type: NextRowsDto, description: `The oldest rows still under the old key, at most ${KEY_ROTATION_NEXT_ROWS} of each kind` }) next: NextRowsDto;
  @ApiProperty({ type: String, nullable: true, description: 'The break-glass key check as stored, to re-seal under the new key and send with the finish; null when the account has none' })
  emergencyKeyCheck: string | null;
}
true satisfies Exact<KeyRotationUnderWayDto, KeyRotationUnderWay>;

export class KeyRotationStateDto implements KeyRotationState {
  @ApiProperty({ description: 'The generation of the account key in force (1 until the first rotation)' }) keyGeneration: number;
  @ApiProperty({ type: KeyRotationUnderWayDto, nullable: true }) rotation: KeyRotationUnderWayDto | null;
}
true satisfies Exact<KeyRotationStateDto, KeyRotationState>;

export class KeyRotationFinishedDto implements KeyRotationFinished {
  @ApiProperty({ description: 'The generation now in force' }) keyGeneration: number;
}
true satisfies Exact<KeyRotationFinishedDto, KeyRotationFinished>;
