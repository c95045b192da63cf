import type { LoginRequest } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { KEY_FIELDS } from '../../../identity/protocol-descriptions.js';
import { IsProofOfWork, ProofOfWorkSolutionDto } from './proof-of-work.dto.js';
import { IsAccountEmail, IsAuthKey } from '../../../identity/validators.js';

export class LoginDto implements LoginRequest {
  @IsAccountEmail()
  email: string;

  @IsAuthKey(KEY_FIELDS.authKey)
  authKey: string;

  @IsProofOfWork()
  proofOfWork?: ProofOfWorkSolutionDto;
}
true satisfies Exact<LoginDto, LoginRequest>;
