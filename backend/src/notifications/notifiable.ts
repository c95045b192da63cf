/**
 * Which audit rows are notifications (shared-types/src/notifications.ts), as SQL over the
 * columns of audit_events. The partial index, the trigger and the mail job of migration 1765810000000
 * (made again by 1765900000000-trusted-contacts when contact.requested joined) carry the same text: a query must repeat it exactly for the planner to use that index.
 */
export const NOTIFIABLE_SQL = `((outcome = 'deny' AND actor_id IS DISTINCT FROM subject_id)
  OR (action = 'record.read' AND outcome = 'allow' AND actor_id IS DISTINCT FROM subject_id)
  OR (action IN ('consent.grant', 'consent.expire', 'contact.requested') AND outcome = 'allow'))`;

/** The NotificationKind of a notifiable row. */
export const NOTIFICATION_KIND_SQL = `(CASE WHEN outcome = 'deny' THEN 'denied' WHEN action = 'record.read' THEN 'access' ELSE 'sharing' END)`;
