import { Injectable } from '@nestjs/common';
import {
  NOTIFICATION_UNREAD_CAP,
  type MarkNotificationsReadRequest,
  type NotificationPage,
  type NotificationQuery,
  type NotificationSettings,
  type UnreadNotifications,
} from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { AuditService } from '../audit/audit.service.js';
import { auditRowToEvent } from '../audit/audit-row.js';
import { decodeCursorMembers, encodeCursorMembers, isSequenceNumber } from '../common/page-cursor.js';
import { NotificationsRepository, type SettingsRow } from './notifications.repository.js';

const DEFAULT_PAGE = 20;

/**
 * Notifications (docs/protocol.md "Notifications"): the rows of the caller's own trail that
 * someone else's access, a refusal or a share put there; unread after the seq the caller
 * marked read; kinds opted out of left out. Nothing here is stored apart from the trail.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly audit: AuditService,
  ) {}

  async page(user: AuthUser, query: NotificationQuery): Promise<NotificationPage> {
    const settings = await this.settingsOf(user.userId);
    const limit = query.limit ?? DEFAULT_PAGE;
    const beforeSeq = query.cursor ? decodeCursorMembers(query.cursor, ([seq]) => (isSequenceNumber(seq) ? seq : null)) : null;
    const rows = await this.notifications.page(user.userId, settings.portalOptOut, beforeSeq, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({ kind: row.kind, isUnread: Number(row.seq) > settings.readSeq, event: auditRowToEvent(row) })),
      nextCursor: rows.length > limit && last ? encodeCursorMembers([Number(last.seq)]) : null,
    };
  }

  async unread(user: AuthUser): Promise<UnreadNotifications> {
    const settings = await this.settingsOf(user.userId);
    return { count: await this.notifications.countAfter(user.userId, settings.portalOptOut, settings.readSeq, NOTIFICATION_UNREAD_CAP) };
  }

  async markRead(user: AuthUser, request: MarkNotificationsReadRequest): Promise<void> {
    await this.notifications.markRead(user.userId, request.upToSeq);
  }

  async settings(user: AuthUser): Promise<NotificationSettings> {
    const { portalOptOut, emailOptOut } = await this.settingsOf(user.userId);
    return { portalOptOut, emailOptOut };
  }

  async updateSettings(user: AuthUser, request: NotificationSettings): Promise<NotificationSettings> {
    const portalOptOut = [...new Set(request.portalOptOut)].sort();
    const emailOptOut = [...new Set(request.emailOptOut)].sort();
    await this.notifications.saveOptOuts(user.userId, portalOptOut, emailOptOut);
    await this.audit.allow({
      subjectId: user.userId,
      action: 'account.update',
      reason: `notifications opted out: portal [${portalOptOut.join(', ')}], email [${emailOptOut.join(', ')}]`,
    });
    return { portalOptOut, emailOptOut };
  }

  private async settingsOf(userId: string): Promise<NotificationSettings & { readSeq: number }> {
    const row: SettingsRow | null = await this.notifications.settings(userId);
    return { readSeq: Number(row?.read_seq ?? 0), portalOptOut: row?.portal_opt_out ?? [], emailOptOut: row?.email_opt_out ?? [] };
  }
}
