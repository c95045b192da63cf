import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  AUDIT_ACCOUNTS_PAGE_DEFAULT,
  AUDIT_ACCOUNTS_PAGE_MAX,
  AUDIT_ACCOUNTS_SEARCH_MAX_CHARS,
  AUDIT_PEOPLE_MAX_IDS,
  type AuditAccounts,
  type AuditAccountsQuery,
  type AuditAccountsSearchRequest,
  type AccessSummary,
  type AccessSummaryEntry,
  type AuditActorRole,
  type AuditPeople,
  type AuditPeopleQuery,
  type AuditPerson,
  type Role,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { IsId, IsIdList } from '../../common/ids.js';

export class AuditPeopleQueryDto implements AuditPeopleQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Auditors: whose trail; others get their own' })
  @IsOptional()
  @IsId('all')
  subjectId?: string;

  /** Documented on the route (ApiIdListQuery): a comma-separated list, which a DTO property cannot describe. */
  @IsOptional()
  @IsIdList(AUDIT_PEOPLE_MAX_IDS, 'account')
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

export class AuditAccountsSearchDto extends AuditAccountsQueryDto implements AuditAccountsSearchRequest {
  @ApiProperty({ maxLength: AUDIT_ACCOUNTS_SEARCH_MAX_CHARS, example: 'okafor doctor', description: 'Words the account’s name as the portal shows it ("Dr " before a doctor’s) or its role must all hold, in any letter case' })
  @IsString()
  @MaxLength(AUDIT_ACCOUNTS_SEARCH_MAX_CHARS)
  @Matches(/\S/, { message: 'q must hold a word' })
  q: string;
}
true satisfies Exact<AuditAccountsSearchDto, AuditAccountsSearchRequest>;

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
