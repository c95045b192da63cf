import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  KEY_LOG_MAX_LEAVES_PER_PAGE,
  ROLES,
  type ConsistencyProof,
  type ConsistencyQuery,
  type KeyBindingProof,
  type KeyBindingQuery,
  type KeyLogLeaves,
  type KeyLogLeavesQuery,
  type LoggedKeyBinding,
  type Role,
  type SignedTreeHead,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';

/** Example values (docs/test-vectors/key-directory.json: the tree of 7 leaves). */
const EXAMPLE = {
  userId: '6f1c2d4e-8a3b-4c5d-9e7f-0a1b2c3d4e5f',
  rootHash: 'yHxLOI_VCYiV8Lx8ucd4wRfNnjhMqVh3o3F14R-oTNc',
  signature: 'QeOHk2-qO6Gt0IQs2j-Ml27DwzaCZy1m8Cm1UoArn6YVr6q6rcS6YNDCe9X2bQAUahxD1rSYfmoRLoFlmx6Yhg',
  keyId: 'c7a5f0e1d2b3a4958677869504132211ffeeddccbbaa99887766554433221100',
  fingerprint: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  proofHash: 'bj3mO8CN0J3vy8BnXUB9rxoO0GwkGsk0WqHkSiAXwnE',
};

/**
 * A whole number in the query string: digits only. Anything else (empty, a
 * sign, an exponent, a fraction, a repeated parameter) stays as it came and
 * fails IsInt, so the 400 names the parameter.
 */
function QueryInteger(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value)),
    IsInt(),
    Min(min),
    Max(max),
  );
}

export class SignedTreeHeadDto implements SignedTreeHead {
  @ApiProperty({ example: 7, description: 'Leaves in the tree' }) treeSize: number;
  @ApiProperty({ example: EXAMPLE.rootHash, description: 'RFC 9162 root hash, 32 bytes, base64url' }) rootHash: string;
  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.000Z' }) issuedAt: string;
  @ApiProperty({
    example: EXAMPLE.signature,
    description: 'ECDSA P-256 / SHA-256 over the UTF-8 of "phr/v1/key-log-sth\\n<treeSize>\\n<rootHash>\\n<issuedAt>", IEEE P1363 r||s (64 bytes), base64url',
  })
  signature: string;
  @ApiProperty({ example: EXAMPLE.keyId, description: 'SHA-256 of the log key’s SPKI, lower-case hex' }) keyId: string;
}
true satisfies Exact<SignedTreeHeadDto, SignedTreeHead>;

export class LoggedKeyBindingDto implements LoggedKeyBinding {
  @ApiProperty({ example: 3, description: 'Position in the log, from 0' }) leafIndex: number;
  @ApiProperty({ format: 'uuid', example: EXAMPLE.userId, description: 'Lower case' }) userId: string;
  @ApiProperty({ enum: ROLES, example: 'doctor' }) role: Role;
  @ApiProperty({ type: String, nullable: true, description: 'RSA-OAEP public key, SPKI DER, base64url; null once the account is erased' }) publicKey: string | null;
  @ApiProperty({ type: String, nullable: true, example: EXAMPLE.fingerprint, description: 'SHA-256 of the SPKI, lower-case hex; null once the account is erased' })
  fingerprint: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:29:59.871Z', description: 'When the binding was logged (UTC, milliseconds)' }) boundAt: string;
}
true satisfies Exact<LoggedKeyBindingDto, LoggedKeyBinding>;

export class KeyBindingProofDto implements KeyBindingProof {
  @ApiProperty({ type: LoggedKeyBindingDto }) binding: LoggedKeyBindingDto;
  @ApiProperty({ type: SignedTreeHeadDto, description: 'The stored head of the tree the proof is for' }) treeHead: SignedTreeHeadDto;
  @ApiProperty({ type: [String], example: [EXAMPLE.proofHash], description: 'RFC 9162 §2.1.3 inclusion proof, leaf to root, base64url hashes' })
  inclusionProof: string[];
}
true satisfies Exact<KeyBindingProofDto, KeyBindingProof>;

export class KeyBindingQueryDto implements KeyBindingQuery {
  @ApiPropertyOptional({ type: Number, minimum: 1, example: 7, description: 'A tree size the log has a head for; the latest head when absent' })
  @IsOptional()
  @QueryInteger(1, Number.MAX_SAFE_INTEGER)
  treeSize?: number;
}
true satisfies Exact<KeyBindingQueryDto, KeyBindingQuery>;

export class ConsistencyQueryDto implements ConsistencyQuery {
  @ApiProperty({ type: Number, minimum: 0, example: 3, description: 'The older tree size (a head the client saw); 0 gives an empty proof' })
  @QueryInteger(0, Number.MAX_SAFE_INTEGER)
  from: number;

  @ApiProperty({ type: Number, minimum: 0, example: 7, description: 'The newer tree size, at least from' })
  @QueryInteger(0, Number.MAX_SAFE_INTEGER)
  to: number;
}
true satisfies Exact<ConsistencyQueryDto, ConsistencyQuery>;

export class ConsistencyProofDto implements ConsistencyProof {
  @ApiProperty({ example: 3 }) from: number;
  @ApiProperty({ example: 7 }) to: number;
  @ApiProperty({ type: [String], example: [EXAMPLE.proofHash], description: 'RFC 9162 §2.1.4 consistency proof, base64url hashes' }) proof: string[];
}
true satisfies Exact<ConsistencyProofDto, ConsistencyProof>;

export class KeyLogLeavesQueryDto implements KeyLogLeavesQuery {
  @ApiProperty({ type: Number, minimum: 0, example: 0 })
  @QueryInteger(0, Number.MAX_SAFE_INTEGER)
  start: number;

  @ApiProperty({ type: Number, minimum: 1, example: KEY_LOG_MAX_LEAVES_PER_PAGE, description: `Exclusive; at most start + ${KEY_LOG_MAX_LEAVES_PER_PAGE}` })
  @QueryInteger(1, Number.MAX_SAFE_INTEGER)
  end: number;
}
true satisfies Exact<KeyLogLeavesQueryDto, KeyLogLeavesQuery>;

export class KeyLogLeavesDto implements KeyLogLeaves {
  @ApiProperty({ example: 0 }) start: number;
  @ApiProperty({ example: 7, description: 'Exclusive: start plus the number of items (stops at the log’s size)' }) end: number;
  @ApiProperty({ type: [LoggedKeyBindingDto] }) items: LoggedKeyBindingDto[];
}
true satisfies Exact<KeyLogLeavesDto, KeyLogLeaves>;
