/**
 * Which audit rows are notifications (shared-types/src/notifications.ts), as SQL over the
 * columns of audit_events. The partial index, the trigger and the mail job of migration 1765810000000
 * carry the same text: a query must repeat it exactly for the planner to use that index. A change
 * here needs a migration that makes them again (remakeNotifiable(); 1765900000000-trusted-contacts
 * when contact.requested joined, 1765910000000-break-glass when emergency.broken did).
 */
export const NOTIFIABLE_SQL = `((outcome = 'deny' AND actor_id IS DISTINCT FROM subject_id)
  OR (action = 'record.read' AND outcome = 'allow' AND actor_id IS DISTINCT FROM subject_id)
  OR (action IN ('consent.grant', 'consent.expire', 'contact.requested') AND outcome = 'allow')
  OR (action = 'emergency.broken' AND outcome = 'allow' AND actor_id IS DISTINCT FROM subject_id))`;

/** The NotificationKind of a notifiable row. */
export const NOTIFICATION_KIND_SQL = `(CASE WHEN outcome = 'deny' THEN 'denied' WHEN action IN ('record.read', 'emergency.broken') THEN 'access' ELSE 'sharing' END)`;

/**
 * Whether a notifiable row reaches its subject, given the kinds opted out of (an SQL text[]
 * expression): every kind can be opted out of except a break-glass, which is always shown and
 * mailed (docs/protocol.md "Notifications"): someone opening a patient's records in an emergency
 * is what the patient, holders and contacts must hear of, whatever they chose for ordinary reads.
 */
export function wantedSql(optedOut: string): string {
  return `(${NOTIFICATION_KIND_SQL} <> ALL (${optedOut}) OR action = 'emergency.broken')`;
}
