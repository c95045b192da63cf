import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type LoggedKeyBinding, type Role } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';

/** Example values: leaf 6 of the tree of docs/test-vectors/key-directory.json (whose public keys are placeholders). */
export const KEY_BINDING_EXAMPLE = {
  userId: 'd4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a',
  publicKey: 'U1BLSSBvZiBkb2N0b3IgQmFyYmFyYQ',
  fingerprint: '0de3bb37aac7e3412482b2c8fb6b2fbec680f5d0f2903543c3a9dbe8e764c19d',
  boundAt: '2026-03-04T17:45:30.250Z',
};

/** A binding of an account to its public key as the key directory (key-directory/) logged it; a key-pair rotation (key-pair/) answers with the new one. */
export class LoggedKeyBindingDto implements LoggedKeyBinding {
  @ApiProperty({ example: 6, description: 'Position in the log, from 0' }) leafIndex: number;
  @ApiProperty({ format: 'uuid', example: KEY_BINDING_EXAMPLE.userId, description: 'Lower case' }) userId: string;
  @ApiProperty({ enum: ROLES, example: 'doctor' }) role: Role;
  @ApiProperty({ type: String, nullable: true, example: KEY_BINDING_EXAMPLE.publicKey, description: 'RSA-OAEP public key, SPKI DER, base64url; null once the account is erased' })
  publicKey: string | null;
  @ApiProperty({ type: String, nullable: true, example: KEY_BINDING_EXAMPLE.fingerprint, description: 'SHA-256 of the SPKI, lower-case hex; null once the account is erased' })
  fingerprint: string | null;
  @ApiProperty({ format: 'date-time', example: KEY_BINDING_EXAMPLE.boundAt, description: 'When the binding was logged (UTC, milliseconds)' }) boundAt: string;
}
true satisfies Exact<LoggedKeyBindingDto, LoggedKeyBinding>;
