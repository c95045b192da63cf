import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { CLIENT_STATE_MAX_BYTES, type PutClientStateRequest } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';
import { base64UrlLength, IsCanonicalBase64Url } from '../identity/validators.js';

/** The largest sealed blob in base64url characters. */
export const CLIENT_STATE_MAX_CHARS = base64UrlLength(CLIENT_STATE_MAX_BYTES);

/**
 * PUT /me/client-state takes the largest blob and a little more: a body up to
 * this size reaches the API, which answers a blob over CLIENT_STATE_MAX_BYTES
 * with 413 (Fastify answers a larger body with 413 before parsing it).
 */
export const CLIENT_STATE_BODY_LIMIT_BYTES = CLIENT_STATE_MAX_CHARS + 4 * 1024;

export const SEALED_CLIENT_STATE_EXAMPLE = 'AZ3u6Xb0Yc1sJm2QW8kT5p9dLhN0rVx4yA7bC3eF6gH1iJ2kL5mN8oP0qR3sT6uV9wX2yZ5';

/** A write of the client's sealed state: PUT /me/client-state (client-state/), and the re-sealed state that finishes an account-key rotation (key-rotation/). */
export class PutClientStateDto implements PutClientStateRequest {
  @ApiProperty({ type: Number, minimum: 0, example: 4, description: 'The version this write replaces (0 for the first); another version answers 409' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  expectedVersion: number;

  @ApiProperty({
    type: String,
    minLength: 1,
    maxLength: CLIENT_STATE_MAX_CHARS,
    pattern: '^[A-Za-z0-9_-]+$',
    example: SEALED_CLIENT_STATE_EXAMPLE,
    description: `Sealed in the browser, base64url, at most ${CLIENT_STATE_MAX_BYTES} bytes (413 beyond); the server never reads it`,
  })
  @IsString()
  @MinLength(1)
  @IsCanonicalBase64Url()
  sealed: string;
}
true satisfies Exact<PutClientStateDto, PutClientStateRequest>;
