import { ApiProperty } from '@nestjs/swagger';
import type { PendingKeyRotation, RecoveryMaterial } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';
import { KEY_FIELDS } from '../identity/protocol-descriptions.js';
import { IsAuthKey, IsSealedKey } from '../identity/validators.js';

/** A recovery code's material: given at registration and on a recovery reset (auth/), and anew by an account-key rotation (key-rotation/). */
export class RecoveryMaterialDto implements RecoveryMaterial {
  @IsAuthKey(KEY_FIELDS.recoveryAuthKey)
  recoveryAuthKey: string;

  @IsSealedKey(KEY_FIELDS.recoveryWrappedAccountKey)
  recoveryWrappedAccountKey: string;
}
true satisfies Exact<RecoveryMaterialDto, RecoveryMaterial>;

/** The new account key's wraps while a rotation (key-rotation/) is under way, as a new session (auth/) hands them out. */
export class PendingKeyRotationDto implements PendingKeyRotation {
  @ApiProperty() generation: number;
  @ApiProperty({ description: `The new account key under the same KEK as wrappedAccountKey. ${KEY_FIELDS.wrappedAccountKey}` }) wrappedAccountKey: string;
  @ApiProperty({ description: `The private key under the new account key. ${KEY_FIELDS.wrappedPrivateKey}` }) wrappedPrivateKey: string;
}
true satisfies Exact<PendingKeyRotationDto, PendingKeyRotation>;
