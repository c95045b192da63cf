import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  NOTIFICATION_KINDS,
  NOTIFICATION_UNREAD_CAP,
  type MarkNotificationsReadRequest,
  type Notification,
  type NotificationKind,
  type NotificationPage,
  type NotificationQuery,
  type NotificationSettings,
  type UnreadNotifications,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { AuditEventDto } from '../../contract/audit-event.dto.js';

export class NotificationQueryDto implements NotificationQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(300)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a cursor this API issued' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
true satisfies Exact<NotificationQueryDto, NotificationQuery>;

export class NotificationDto implements Notification {
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind: NotificationKind;
  @ApiProperty() isUnread: boolean;
  @ApiProperty({ type: AuditEventDto, description: 'The row of the caller’s own trail' }) event: AuditEventDto;
}
true satisfies Exact<NotificationDto, Notification>;

export class NotificationPageDto implements NotificationPage {
  @ApiProperty({ type: [NotificationDto] }) items: NotificationDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
true satisfies Exact<NotificationPageDto, NotificationPage>;

export class UnreadNotificationsDto implements UnreadNotifications {
  @ApiProperty({ maximum: NOTIFICATION_UNREAD_CAP, description: `Counted up to ${NOTIFICATION_UNREAD_CAP}` }) count: number;
}
true satisfies Exact<UnreadNotificationsDto, UnreadNotifications>;

export class MarkNotificationsReadDto implements MarkNotificationsReadRequest {
  @ApiProperty({ minimum: 0, description: 'The seq of the newest notification seen: it and everything before are read' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  upToSeq: number;
}
true satisfies Exact<MarkNotificationsReadDto, MarkNotificationsReadRequest>;

export class NotificationSettingsDto implements NotificationSettings {
  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true, description: 'Kinds not listed nor counted in the portal' })
  @IsArray()
  @ArrayMaxSize(NOTIFICATION_KINDS.length)
  @IsIn(NOTIFICATION_KINDS, { each: true })
  portalOptOut: NotificationKind[];

  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true, description: 'Kinds that send no mail' })
  @IsArray()
  @ArrayMaxSize(NOTIFICATION_KINDS.length)
  @IsIn(NOTIFICATION_KINDS, { each: true })
  emailOptOut: NotificationKind[];
}
true satisfies Exact<NotificationSettingsDto, NotificationSettings>;
