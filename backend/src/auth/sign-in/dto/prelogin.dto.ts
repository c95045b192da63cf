import { ApiProperty } from '@nestjs/swagger';
import type { PreloginRequest, PreloginResponse } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { KdfParamsDto } from '../../credentials/dto/kdf-params.dto.js';
import { IsAccountEmail } from '../../../identity/validators.js';

export class PreloginRequestDto implements PreloginRequest {
  @IsAccountEmail()
  email: string;
}
true satisfies Exact<PreloginRequestDto, PreloginRequest>;

export class PreloginResponseDto implements PreloginResponse {
  @ApiProperty({ type: KdfParamsDto })
  kdf: KdfParamsDto;
}
true satisfies Exact<PreloginResponseDto, PreloginResponse>;
