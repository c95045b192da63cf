import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { DISPLAY_NAME_MAX_LENGTH, SPECIALTY_MAX_LENGTH, type UpdateMeRequest } from '@phr/shared-types';
import type { Exact } from '../common/exact.js';

/** One line of text, as a person writes a name. */
const ONE_LINE = /^\P{Cc}*$/u;
const ONE_LINE_MESSAGE = '$property must be one line of text without control characters';

/** PATCH /me. Both fields are stored trimmed; the email is the sign-in identifier and is not here. */
export class UpdateMeDto implements UpdateMeRequest {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH, example: 'Ada King' })
  @IsOptional()
  @IsString()
  @Length(1, DISPLAY_NAME_MAX_LENGTH)
  @Matches(ONE_LINE, { message: ONE_LINE_MESSAGE })
  @Matches(/\S/, { message: '$property must not be blank' })
  displayName?: string;

  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: SPECIALTY_MAX_LENGTH, example: 'Cardiology', description: 'Doctors only: shown to patients who search for them' })
  @IsOptional()
  @IsString()
  @Length(1, SPECIALTY_MAX_LENGTH)
  @Matches(ONE_LINE, { message: ONE_LINE_MESSAGE })
  @Matches(/\S/, { message: '$property must not be blank' })
  specialty?: string;
}
true satisfies Exact<UpdateMeDto, UpdateMeRequest>;
