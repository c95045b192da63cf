import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  KEY_LOG_MAX_LEAVES_PER_PAGE,
  type ConsistencyProof,
  type ConsistencyQuery,
  type KeyBindingProof,
  type KeyBindingQuery,
  type KeyLogFrontier,
  type KeyLogFrontierQuery,
  type KeyLogLeaves,
  type KeyLogLeavesQuery,
  type SignedTreeHead,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { LoggedKeyBindingDto } from '../../contract/key-binding.dto.js';

/** Example values: the tree of 7 leaves of docs/test-vectors/key-directory.json (its last leaf: contract/key-binding.dto.ts). */
const EXAMPLE = {
  rootHash: 'YwV4fAIuvZ5DFAA8ieKoaT214PeNK7h6qXnF4F-ggiU',
  issuedAt: '2026-03-04T17:45:30.250Z',
  signature: 'ny6Mkq52C8Yi-iAemzewsVfLRTT3foLpl--eRhsXYgEomMDXTiDZSwFWcWrMdcP-g_4qCGfmWBDsNiYJLvV-cQ',
  keyId: '295a465b28560ef18e14c29811398e33eb03965face1aec3eb903f0b7e94f609',
  inclusionProof: ['VaDVMo79FFyqirWeIi2_7KEXLFnvpiFPJgOpZdUCEF8', 'y8RUcM-LUUb7YTc9iB9dLxcKyTf-ohzU73FOI3kE_ds'],
  consistencyProof: [
    'k9M3EaDJpuqGlGE7Y86XfpeNSNQO8zAUdDeAnA9LgSQ',
    'K1NBTqiqvogry9JkRz6yYshOwC9dTTsdixVQabe24iA',
    'UoMAP3uY-qn0b8PBKDnPrAClivM0AcpZ5zqDPoQALnI',
    'kz7lZOPlbx5RBEnpSK46AgVFn7AI6xwAXHUwUGuzZs0',
  ],
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
  @ApiProperty({ format: 'date-time', example: EXAMPLE.issuedAt }) issuedAt: string;
  @ApiProperty({
    example: EXAMPLE.signature,
    description: 'ECDSA P-256 / SHA-256 over the UTF-8 of "phr/v1/key-log-sth\\n<treeSize>\\n<rootHash>\\n<issuedAt>", IEEE P1363 r||s (64 bytes), base64url',
  })
  signature: string;
  @ApiProperty({ example: EXAMPLE.keyId, description: 'SHA-256 of the log key’s SPKI, lower-case hex' }) keyId: string;
}
true satisfies Exact<SignedTreeHeadDto, SignedTreeHead>;

export class KeyBindingProofDto implements KeyBindingProof {
  @ApiProperty({ type: LoggedKeyBindingDto }) binding: LoggedKeyBindingDto;
  @ApiProperty({ type: SignedTreeHeadDto, description: 'The stored head of the tree the proof is for' }) treeHead: SignedTreeHeadDto;
  @ApiProperty({ type: [String], example: EXAMPLE.inclusionProof, description: 'RFC 9162 §2.1.3 inclusion proof, leaf to root, base64url hashes' })
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
  @ApiProperty({ type: [String], example: EXAMPLE.consistencyProof, description: 'RFC 9162 §2.1.4 consistency proof, base64url hashes' }) proof: string[];
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

export class KeyLogFrontierQueryDto implements KeyLogFrontierQuery {
  @ApiProperty({ type: Number, minimum: 0, example: 3, description: 'A tree size the log has a head for (the head you kept)' })
  @QueryInteger(0, Number.MAX_SAFE_INTEGER)
  treeSize: number;
}
true satisfies Exact<KeyLogFrontierQueryDto, KeyLogFrontierQuery>;

export class KeyLogFrontierDto implements KeyLogFrontier {
  @ApiProperty({ example: 3 }) treeSize: number;
  @ApiProperty({
    type: [String],
    example: ['TDhtMbnmWU6-ORyI2ouVXIu9fbfkQmu7Bo2k1IfodvU', 'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh-QZS5n5E0nHw'],
    description: 'Root hashes (base64url) of the perfect subtrees making up the tree, one per set bit of treeSize, largest first',
  })
  hashes: string[];
}
true satisfies Exact<KeyLogFrontierDto, KeyLogFrontier>;
