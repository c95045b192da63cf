import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { CLIENT_SECURITY_EVENT_KINDS, SECURITY_EVENT_DETAIL_MAX_LENGTH, type ClientSecurityEventKind, type ReportSecurityEventRequest } from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { IsPlainText } from '../../common/plain-text.js';

export class ReportSecurityEventDto implements ReportSecurityEventRequest {
  @ApiProperty({ enum: CLIENT_SECURITY_EVENT_KINDS, description: 'Which check of the browser failed (docs/protocol.md "Client-side checks")' })
  @IsIn(CLIENT_SECURITY_EVENT_KINDS)
  kind: ClientSecurityEventKind;

  @ApiProperty({ maxLength: SECURITY_EVENT_DETAIL_MAX_LENGTH, description: 'What failed, in words; kept in the caller’s audit row' })
  // One line: it lands in the audit trail and its CSV export.
  @IsPlainText(1, SECURITY_EVENT_DETAIL_MAX_LENGTH)
  detail: string;
}
true satisfies Exact<ReportSecurityEventDto, ReportSecurityEventRequest>;
