import { Injectable } from '@nestjs/common';
import type { NotificationKind } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import type { AuditDbRow } from '../audit/audit-row.js';
import { NOTIFIABLE_SQL, NOTIFICATION_KIND_SQL, wantedSql } from './notifiable.js';

export interface SettingsRow {
  read_seq: string;
  portal_opt_out: NotificationKind[];
  email_opt_out: NotificationKind[];
}

export type NotificationDbRow = AuditDbRow & { kind: NotificationKind };

/**
 * The SQL of notifications (migration 1765810000000): the notifiable rows of the caller's own
 * trail (RLS: a subject reads its own), through the partial index audit_events_notifications,
 * and the caller's row of notification_settings.
 */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly db: Db) {}

  async settings(userId: string): Promise<SettingsRow | null> {
    const [row] = await this.db.manager().query<SettingsRow[]>('SELECT read_seq, portal_opt_out, email_opt_out FROM notification_settings WHERE user_id = $1', [userId]);
    return row ?? null;
  }

  /** Newest first, below `beforeSeq` when given, leaving out the kinds opted out of (wantedSql). */
  async page(userId: string, optedOut: readonly NotificationKind[], beforeSeq: number | null, limit: number): Promise<NotificationDbRow[]> {
    return await this.db.manager().query<NotificationDbRow[]>(
      `SELECT *, ${NOTIFICATION_KIND_SQL} AS kind FROM audit_events
        WHERE subject_id = $1 AND ${NOTIFIABLE_SQL} AND ${wantedSql('$2::text[]')} AND ($3::bigint IS NULL OR seq < $3)
        ORDER BY seq DESC LIMIT $4`,
      [userId, optedOut, beforeSeq, limit],
    );
  }

  /** Notifications after `readSeq`, counted up to `cap`. */
  async countAfter(userId: string, optedOut: readonly NotificationKind[], readSeq: number, cap: number): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>(
      `SELECT count(*) AS count FROM (SELECT 1 FROM audit_events
          WHERE subject_id = $1 AND ${NOTIFIABLE_SQL} AND ${wantedSql('$2::text[]')} AND seq > $3
          ORDER BY seq DESC LIMIT $4) AS unread`,
      [userId, optedOut, readSeq, cap],
    );
    return Number(row?.count ?? 0);
  }

  /** Moves the read mark forward (never back), no further than the trail's head. */
  async markRead(userId: string, upToSeq: number): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO notification_settings AS s (user_id, read_seq)
         SELECT $1, LEAST($2::bigint, coalesce((SELECT seq FROM audit_chain_heads WHERE subject_id = $1), 0))
       ON CONFLICT (user_id) DO UPDATE SET read_seq = GREATEST(s.read_seq, excluded.read_seq)`,
      [userId, upToSeq],
    );
  }

  async saveOptOuts(userId: string, portalOptOut: readonly NotificationKind[], emailOptOut: readonly NotificationKind[]): Promise<void> {
    await this.db.manager().query(
      `INSERT INTO notification_settings (user_id, portal_opt_out, email_opt_out) VALUES ($1, $2::text[], $3::text[])
       ON CONFLICT (user_id) DO UPDATE SET portal_opt_out = excluded.portal_opt_out, email_opt_out = excluded.email_opt_out`,
      [userId, portalOptOut, emailOptOut],
    );
  }

  /** Accounts whose new notifications want a mail now (notification_mails_due), each moved past what it covers. */
  async takeMailsDue(gapSeconds: number, limit: number): Promise<Array<{ userId: string; email: string }>> {
    const rows = await this.db.manager().query<Array<{ user_id: string; email: string }>>('SELECT user_id, email FROM notification_mails_due($1, $2)', [gapSeconds, limit]);
    return rows.map((row) => ({ userId: row.user_id, email: row.email }));
  }
}
