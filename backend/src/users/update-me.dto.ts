import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { DISPLAY_NAME_MAX_LENGTH, SPECIALTY_MAX_LENGTH, type UpdateMeRequest } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';
import { IsPlainText } from '../common/plain-text.js';

/** PATCH /me. Both fields are stored trimmed; the email is the sign-in identifier and is not here. */
export class UpdateMeDto implements UpdateMeRequest {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH, example: 'Ada King' })
  @IsOptional()
  @IsPlainText(1, DISPLAY_NAME_MAX_LENGTH)
  displayName?: string;

  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: SPECIALTY_MAX_LENGTH, example: 'Cardiology', description: 'Doctors only: shown to patients who search for them' })
  @IsOptional()
  @IsPlainText(1, SPECIALTY_MAX_LENGTH)
  specialty?: string;
}
true satisfies Exact<UpdateMeDto, UpdateMeRequest>;
