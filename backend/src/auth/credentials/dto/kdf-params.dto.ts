import { ApiProperty } from '@nestjs/swagger';
import { Equals, IsInt, Max, Min } from 'class-validator';
import { KDF_ALGORITHM, KDF_MAX_ITERATIONS, KDF_MIN_ITERATIONS, KDF_SALT_BYTES, type KdfParams } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { base64UrlLength, IsBase64Url } from '../../../identity/validators.js';

export class KdfParamsDto implements KdfParams {
  @ApiProperty({ enum: [KDF_ALGORITHM] })
  @Equals(KDF_ALGORITHM)
  algorithm: typeof KDF_ALGORITHM;

  @ApiProperty({ type: Number, minimum: KDF_MIN_ITERATIONS, maximum: KDF_MAX_ITERATIONS, description: 'PBKDF2-HMAC-SHA256 iterations; the browser refuses parameters outside these bounds as well' })
  @IsInt()
  @Min(KDF_MIN_ITERATIONS)
  @Max(KDF_MAX_ITERATIONS)
  iterations: number;

  @IsBase64Url(base64UrlLength(KDF_SALT_BYTES), base64UrlLength(KDF_SALT_BYTES), '16 random bytes, base64url without padding (22 characters)')
  salt: string;
}
true satisfies Exact<KdfParamsDto, KdfParams>;
