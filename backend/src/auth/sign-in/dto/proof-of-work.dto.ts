import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import {
  PROOF_OF_WORK_CHALLENGE_CHARS,
  PROOF_OF_WORK_NONCE_PATTERN,
  PROOF_OF_WORK_PURPOSES,
  type ProofOfWorkChallenge,
  type ProofOfWorkPurpose,
  type ProofOfWorkRequest,
  type ProofOfWorkSolution,
} from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { IsAccountEmail, IsBase64Url } from '../../../identity/validators.js';

export class ProofOfWorkRequestDto implements ProofOfWorkRequest {
  @IsAccountEmail()
  email: string;

  @ApiProperty({ enum: PROOF_OF_WORK_PURPOSES, description: '`login` for POST /auth/login, `recovery` for POST /auth/recovery/keys and /auth/recovery/reset' })
  @IsIn(PROOF_OF_WORK_PURPOSES)
  purpose: ProofOfWorkPurpose;
}
true satisfies Exact<ProofOfWorkRequestDto, ProofOfWorkRequest>;

export class ProofOfWorkChallengeDto implements ProofOfWorkChallenge {
  @ApiProperty({ description: 'Opaque, signed, single use; bound to the email and the purpose', minLength: PROOF_OF_WORK_CHALLENGE_CHARS, maxLength: PROOF_OF_WORK_CHALLENGE_CHARS })
  challenge: string;

  @ApiProperty({
    type: Number,
    minimum: 0,
    maximum: 32,
    description: 'Leading zero bits SHA-256(challenge ":" nonce) must have; 0: no proof is needed from this client now',
  })
  difficulty: number;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}
true satisfies Exact<ProofOfWorkChallengeDto, ProofOfWorkChallenge>;

export class ProofOfWorkSolutionDto implements ProofOfWorkSolution {
  @IsBase64Url(PROOF_OF_WORK_CHALLENGE_CHARS, PROOF_OF_WORK_CHALLENGE_CHARS, 'the challenge as POST /auth/proof-of-work gave it')
  challenge: string;

  @ApiProperty({ type: String, pattern: PROOF_OF_WORK_NONCE_PATTERN.source, example: '1830442', description: 'decimal digits that make the digest start with enough zero bits' })
  @IsString()
  @Length(1, 16)
  @Matches(PROOF_OF_WORK_NONCE_PATTERN, { message: '$property must be 1 to 16 decimal digits' })
  nonce: string;
}
true satisfies Exact<ProofOfWorkSolutionDto, ProofOfWorkSolution>;

/** The optional `proofOfWork` of a sign-in or recovery request (docs/protocol.md "Proof of work"). */
export function IsProofOfWork(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: ProofOfWorkSolutionDto,
      description: 'Needed only when POST /auth/proof-of-work states a difficulty above 0; otherwise the answer is 429 PROOF_OF_WORK_REQUIRED',
    }),
    IsOptional(),
    IsObject(),
    ValidateNested(),
    Type(() => ProofOfWorkSolutionDto),
  );
}
