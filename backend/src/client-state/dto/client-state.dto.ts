import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { CLIENT_STATE_MAX_BYTES, type ClientState, type ClientStateVersion, type PutClientStateRequest } from '@phr/shared-types';
import { base64UrlLength } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';

/** The largest sealed blob in base64url characters. */
export const CLIENT_STATE_MAX_CHARS = base64UrlLength(CLIENT_STATE_MAX_BYTES);

/**
 * PUT /me/client-state takes the largest blob and a little more: a body up to
 * this size reaches the API, which answers a blob over CLIENT_STATE_MAX_BYTES
 * with 413 (Fastify answers a larger body with 413 before parsing it).
 */
export const CLIENT_STATE_BODY_LIMIT_BYTES = CLIENT_STATE_MAX_CHARS + 4 * 1024;

const EXAMPLE_SEALED = 'AZ3u6Xb0Yc1sJm2QW8kT5p9dLhN0rVx4yA7bC3eF6gH1iJ2kL5mN8oP0qR3sT6uV9wX2yZ5';

export class ClientStateDto implements ClientState {
  @ApiProperty({ example: 4, description: 'Starts at 0 (nothing stored); each write adds 1' }) version: number;
  @ApiProperty({ type: String, nullable: true, example: EXAMPLE_SEALED, description: 'The blob the browser sealed, base64url; null until the first write' })
  sealed: string | null;
}
true satisfies Exact<ClientStateDto, ClientState>;

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
    example: EXAMPLE_SEALED,
    description: `Sealed in the browser, base64url, at most ${CLIENT_STATE_MAX_BYTES} bytes (413 beyond); the server never reads it`,
  })
  @IsString()
  @MinLength(1)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: '$property must be base64url without padding' })
  sealed: string;
}
true satisfies Exact<PutClientStateDto, PutClientStateRequest>;

export class ClientStateVersionDto implements ClientStateVersion {
  @ApiProperty({ example: 5 }) version: number;
}
true satisfies Exact<ClientStateVersionDto, ClientStateVersion>;
