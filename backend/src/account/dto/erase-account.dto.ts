import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ACCOUNT_ERASURE_CONFIRMATION, ERASURE_REASON_MAX_LENGTH, type AccountErasureReceipt, type EraseAccountRequest } from '@phr/shared-types';
import { IsAuthKey } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';
import { IsPlainText } from '../../common/plain-text.js';

export class EraseAccountDto implements EraseAccountRequest {
  @IsAuthKey('auth key derived from the current password (re-authentication)')
  currentAuthKey: string;

  @ApiProperty({ enum: [ACCOUNT_ERASURE_CONFIRMATION], description: 'Exactly this text: the caller means it' })
  @IsIn([ACCOUNT_ERASURE_CONFIRMATION], { message: `$property must be exactly "${ACCOUNT_ERASURE_CONFIRMATION}"` })
  confirmation: typeof ACCOUNT_ERASURE_CONFIRMATION;

  @ApiPropertyOptional({ maxLength: ERASURE_REASON_MAX_LENGTH, description: 'Why; kept in the audit row of the erasure' })
  // One line: the reason lands in the audit trail and its CSV export.
  @IsOptional()
  @IsPlainText(1, ERASURE_REASON_MAX_LENGTH)
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
