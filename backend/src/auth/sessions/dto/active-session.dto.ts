import { ApiProperty } from '@nestjs/swagger';
import type { ActiveSession, SessionList } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';

export class ActiveSessionDto implements ActiveSession {
  @ApiProperty({ format: 'uuid', description: 'The session (refresh token family) id' }) id: string;
  @ApiProperty({ format: 'date-time', description: 'The sign-in that started it' }) createdAt: string;
  @ApiProperty({ format: 'date-time', description: 'Its latest sign-in or refresh' }) lastUsedAt: string;
  @ApiProperty({ type: String, nullable: true }) userAgent: string | null;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ description: 'The session of the access token that asked' }) isCurrent: boolean;
}
true satisfies Exact<ActiveSessionDto, ActiveSession>;

export class SessionListDto implements SessionList {
  @ApiProperty({ type: [ActiveSessionDto] }) items: ActiveSessionDto[];
}
true satisfies Exact<SessionListDto, SessionList>;
