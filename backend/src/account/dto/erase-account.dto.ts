import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ACCOUNT_ERASURE_CONFIRMATION, ERASURE_REASON_MAX_LENGTH, type AccountErasureReceipt, type EraseAccountRequest } from '@phr/shared-types';
import { IsAuthKey } from '../../auth/dto/validators.js';
import type { Exact } from '../../common/exact.js';

/** One line of text: the reason lands in the audit trail and its CSV export. */
const ONE_LINE = /^\P{Cc}*$/u;

export class EraseAccountDto implements EraseAccountRequest {
  @IsAuthKey('auth key derived from the current password (re-authentication)')
  currentAuthKey: string;

  @ApiProperty({ enum: [ACCOUNT_ERASURE_CONFIRMATION], description: 'Exactly this text: the caller means it' })
  @IsIn([ACCOUNT_ERASURE_CONFIRMATION], { message: `$property must be exactly "${ACCOUNT_ERASURE_CONFIRMATION}"` })
  confirmation: typeof ACCOUNT_ERASURE_CONFIRMATION;

  @ApiPropertyOptional({ maxLength: ERASURE_REASON_MAX_LENGTH, description: 'Why; kept in the audit row of the erasure' })
  @IsOptional()
  @IsString()
  @Length(1, ERASURE_REASON_MAX_LENGTH)
  @Matches(ONE_LINE, { message: '$property must be one line of text without control characters' })
  reason?: string;
}
true satisfies Exact<EraseAccountDto, EraseAccountRequest>;

export class AccountErasureReceiptDto implements AccountErasureReceipt {
  @ApiProperty({ format: 'date-time' }) erasedAt: string;
  @ApiProperty({ description: 'Records erased: objects, wraps (also doctors’), metadata' }) records: number;
  @ApiProperty({ description: 'Uploads never committed, with their objects' }) uploads: number;
  @ApiProperty() folders: number;
  @ApiProperty({ description: 'Consents granted (patient) or naming the caller (doctor)' }) consents: number;
  @ApiProperty({ description: 'Objects removed from the store' }) objects: number;
}
true satisfies Exact<AccountErasureReceiptDto, AccountErasureReceipt>;
