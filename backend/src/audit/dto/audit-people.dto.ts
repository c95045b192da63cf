import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, isUUID, Max, Min, ValidateBy } from 'class-validator';
import {
  AUDIT_ACCOUNTS_PAGE_DEFAULT,
  AUDIT_ACCOUNTS_PAGE_MAX,
  AUDIT_PEOPLE_MAX_IDS,
  type AuditAccounts,
  type AuditAccountsQuery,
  type AccessSummary,
  type AccessSummaryEntry,
  type AuditActorRole,
  type AuditPeople,
  type AuditPeopleQuery,
  type AuditPerson,
  type Role,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { IsId } from '../../common/ids.js';

/** One to `max` account ids, comma-separated. */
function IsIdList(max: number): PropertyDecorator {
  return ValidateBy({
    name: 'isIdList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.split(',').length <= max && value.split(',').every((id) => isUUID(id, 'all')),
      defaultMessage: () => `ids must be up to ${max} account ids separated by commas`,
    },
  });
}

export class AuditPeopleQueryDto implements AuditPeopleQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Auditors: whose trail; others get their own' })
  @IsOptional()
  @IsId('all')
  subjectId?: string;

  @ApiPropertyOptional({ description: `Only these accounts (comma-separated ids, at most ${AUDIT_PEOPLE_MAX_IDS})` })
  @IsOptional()
  @IsIdList(AUDIT_PEOPLE_MAX_IDS)
  ids?: string;
}
true satisfies Exact<AuditPeopleQueryDto, AuditPeopleQuery>;

export class AuditPersonDto implements AuditPerson {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ['patient', 'doctor', 'auditor', 'operator'] }) role: Role;
}
true satisfies Exact<AuditPersonDto, AuditPerson>;

export class AuditPeopleDto implements AuditPeople {
  @ApiProperty({ type: [AuditPersonDto] }) people: AuditPersonDto[];
}
true satisfies Exact<AuditPeopleDto, AuditPeople>;

export class AuditAccountsQueryDto implements AuditAccountsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'nextAfter of the previous page: the accounts after this id' })
  @IsOptional()
  @IsId('all')
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: AUDIT_ACCOUNTS_PAGE_MAX, default: AUDIT_ACCOUNTS_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_ACCOUNTS_PAGE_MAX)
  limit?: number;
}
true satisfies Exact<AuditAccountsQueryDto, AuditAccountsQuery>;

export class AuditAccountsDto implements AuditAccounts {
  @ApiProperty({ type: [AuditPersonDto] }) accounts: AuditPersonDto[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The after of the next page (the last id of a full page); null once a page comes back shorter than limit' }) nextAfter: string | null;
}
true satisfies Exact<AuditAccountsDto, AuditAccounts>;

export class AccessSummaryEntryDto implements AccessSummaryEntry {
  @ApiProperty({ format: 'uuid' }) actorId: string;
  @ApiProperty({ type: String, nullable: true, description: 'Null once the account is erased' }) displayName: string | null;
  @ApiProperty({ nullable: true, enum: ['patient', 'doctor', 'auditor', 'operator', 'system'] }) role: AuditActorRole | null;
  @ApiProperty({ description: 'Records opened' }) reads: number;
  @ApiProperty({ description: 'Different records opened' }) records: number;
  @ApiProperty({ description: 'Attempts refused' }) denied: number;
  @ApiProperty({ format: 'date-time' }) lastAt: string;
}
true satisfies Exact<AccessSummaryEntryDto, AccessSummaryEntry>;

export class AccessSummaryDto implements AccessSummary {
  @ApiProperty({ format: 'date-time' }) since: string;
  @ApiProperty({ type: [AccessSummaryEntryDto] }) people: AccessSummaryEntryDto[];
}
true satisfies Exact<AccessSummaryDto, AccessSummary>;
