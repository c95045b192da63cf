import { ApiProperty } from '@nestjs/swagger';
import type { RotateKeyPairRequest, RotateKeyPairResult } from '@phr/shared-types';
import { KEY_FIELDS } from '../../identity/protocol-descriptions.js';
import { IsAuthKey, IsPublicKey, IsSealedKey } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';
import { LoggedKeyBindingDto } from '../../contract/key-binding.dto.js';

export class RotateKeyPairDto implements RotateKeyPairRequest {
  @IsAuthKey(`The current password's auth key (re-authentication: a new key pair is a grave step): ${KEY_FIELDS.authKey}`)
  currentAuthKey: string;

  @IsPublicKey(`The new key pair's public key: ${KEY_FIELDS.publicKey}`)
  publicKey: string;

  @IsSealedKey(`The new private key under the unchanged account key: ${KEY_FIELDS.wrappedPrivateKey}`)
  wrappedPrivateKey: string;
}
true satisfies Exact<RotateKeyPairDto, RotateKeyPairRequest>;

export class RotateKeyPairResultDto implements RotateKeyPairResult {
  @ApiProperty({ description: 'SHA-256 of the new SPKI, lower-case hex (the portal computes it itself)' })
  fingerprint: string;

  @ApiProperty({ type: LoggedKeyBindingDto, description: 'The new binding as logged; prove it with GET /key-directory/bindings/:id' })
  binding: LoggedKeyBindingDto;
}
true satisfies Exact<RotateKeyPairResultDto, RotateKeyPairResult>;
