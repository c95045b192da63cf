import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { FHIR_PAGE_DEFAULT, FHIR_PAGE_MAX, type FhirSearchQuery } from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { IsId } from '../../common/ids.js';

export class FhirSearchQueryDto implements FhirSearchQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Auditors: whose trail or consents; anyone else may name only themselves' })
  @IsOptional()
  @IsId('all')
  patient?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: FHIR_PAGE_MAX, default: FHIR_PAGE_DEFAULT, description: 'Resources per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(FHIR_PAGE_MAX)
  _count?: number;

  @ApiPropertyOptional({ description: 'The position a `next` link carries' })
  @IsOptional()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a cursor this API issued' })
  cursor?: string;
}
true satisfies Exact<FhirSearchQueryDto, FhirSearchQuery>;
