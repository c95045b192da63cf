import type { LoginRequest } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { KEY_FIELDS } from '../../../identity/protocol-descriptions.js';
import { IsProofOfWork, ProofOfWorkSolutionDto } from './proof-of-work.dto.js';
import { IsAccountEmail, IsAuthKey, isAccountEmail, isAuthKey } from '../../../identity/validators.js';
import { hasExactlyKeys, ValidatedQuicklyBy } from '../../../common/validation.js';

/** Every sign-in sends one; almost all are an email and an auth key, checked without class-validator's machinery (ValidatedQuicklyBy). */
@ValidatedQuicklyBy((body) => hasExactlyKeys(body, ['email', 'authKey']) && isAccountEmail(body.email) && isAuthKey(body.authKey))
export class LoginDto implements LoginRequest {
  @IsAccountEmail()
  email: string;

  @IsAuthKey(KEY_FIELDS.authKey)
  authKey: string;

  @IsProofOfWork()
  proofOfWork?: ProofOfWorkSolutionDto;
}
true satisfies Exact<LoginDto, LoginRequest>;
