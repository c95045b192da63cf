/**
 * Which audit rows are notifications (shared-types/src/notifications.ts), as SQL over the
 * columns of audit_events. The partial index and the trigger of migration 1765810000000 carry
 * the same text: a query must repeat it exactly for the planner to use that index. Migration
 * 1765910000000 (break-glass) made both again when a break-glass became notifiable: a change
 * here needs such a migration.
 */
export const NOTIFIABLE_SQL = `((outcome = 'deny' AND actor_id IS DISTINCT FROM subject_id)
  OR (action = 'record.read' AND outcome = 'allow' AND actor_id IS DISTINCT FROM subject_id)
  OR (action IN ('consent.grant', 'consent.expire') AND outcome = 'allow')
  OR (action = 'emergency.broken' AND outcome = 'allow' AND actor_id IS DISTINCT FROM subject_id))`;

/** The NotificationKind of a notifiable row. */
export const NOTIFICATION_KIND_SQL = `(CASE WHEN outcome = 'deny' THEN 'denied' WHEN action IN ('record.read', 'emergency.broken') THEN 'access' ELSE 'sharing' END)`;
