import { ApiProperty } from '@nestjs/swagger';
import type { PreloginQuery, PreloginResponse } from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { KdfParamsDto } from './kdf-params.dto.js';
import { IsAccountEmail } from './validators.js';

export class PreloginQueryDto implements PreloginQuery {
  @IsAccountEmail()
  email: string;
}
true satisfies Exact<PreloginQueryDto, PreloginQuery>;

export class PreloginResponseDto implements PreloginResponse {
  @ApiProperty({ type: KdfParamsDto })
  kdf: KdfParamsDto;
}
true satisfies Exact<PreloginResponseDto, PreloginResponse>;
