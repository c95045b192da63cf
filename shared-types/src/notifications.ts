/**
 * Notifications (docs/protocol.md "Notifications"): derived from the account's own audit
 * trail, never stored apart from it, so nothing is lost and nothing new needs trusting.
 * An event is a notification when it is one of the kinds below; the portal lists them, counts
 * the unread ones, and (unless opted out per kind) a mail says "something happened, sign in
 * to see", with no content.
 */
import type { AuditEvent } from './audit.js';

export const NOTIFICATION_KINDS = [
  // Someone else opened one of the account's records (record.read allowed, another actor).
  'access',
  // An attempt on the account's data was refused (any denial by someone else or by no one known).
  'denied',
  // A share was made or ran out (consent.grant, consent.expire), or a trusted contact asked for access (contact.requested).
  'sharing',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  kind: NotificationKind;
  isUnread: boolean;
  /** The trail row itself: the portal verifies and words it as it does on the audit page. */
  event: AuditEvent;
}

/** GET /notifications: newest first. */
export interface NotificationQuery {
  cursor?: string;
  limit?: number;
}
export interface NotificationPage {
  items: Notification[];
  nextCursor: string | null;
}

/** The unread count stops at this many: the portal shows "99+". */
export const NOTIFICATION_UNREAD_CAP = 100;

/** GET /notifications/unread */
export interface UnreadNotifications {
  /** At most NOTIFICATION_UNREAD_CAP. */
  count: number;
}

/** POST /notifications/read: everything up to this seq of the account's trail is read. */
export interface MarkNotificationsReadRequest {
  upToSeq: number;
}

/** GET and PUT /notifications/settings: the kinds the account does not want, in the portal and by mail. */
export interface NotificationSettings {
  portalOptOut: NotificationKind[];
  emailOptOut: NotificationKind[];
}
