import { ApiProperty } from '@nestjs/swagger';
import type { PublicKeyResponse } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';

export class PublicKeyResponseDto implements PublicKeyResponse {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: ['RSA-OAEP-SHA256'] }) algorithm: 'RSA-OAEP-SHA256';
  @ApiProperty({ description: 'SPKI DER, base64url' }) publicKey: string;
  @ApiProperty({ description: 'SHA-256 of the SPKI bytes, lowercase hex' }) fingerprint: string;
}
true satisfies Exact<PublicKeyResponseDto, PublicKeyResponse>;
