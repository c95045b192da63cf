/**
 * What the browser refused because the server's answers did not hold
 * (docs/protocol.md "Client-side checks"). The browser refuses first and
 * reports after: a report is filed in the reporter's own audit trail (action
 * `security.client-report`, outcome deny, reason "<kind>: <detail>"), so it is
 * in the trail and in the notice of the next sign-in. A server that lies can
 * drop a report; the refusal does not depend on it.
 */

export const CLIENT_SECURITY_EVENT_KINDS = [
  // The public key the server served for the signed-in account does not belong to the private key the browser unwrapped.
  'own-key-mismatch',
  // The key directory's latest binding for the signed-in account is not the account's own key.
  'own-binding-mismatch',
  // Another account's key binding failed its proof, or is not the key the server served for it elsewhere.
  'key-binding-invalid',
  // A key-directory tree head whose signature does not verify with the log key built into the portal.
  'tree-head-invalid',
  // A key-directory tree head that does not extend the last one the browser kept (an older or forked log).
  'tree-head-inconsistent',
  // The account's audit trail breaks its hash chain, or does not extend the last head the browser verified.
  'audit-trail-broken',
  // The sealed client state did not open with the account key, or is not a document this portal understands.
  'client-state-invalid',
  // During an account-key rotation, an owner wrap or folder name the server listed opened under neither the old nor the new key.
  'key-rotation-unreadable',
] as const;
export type ClientSecurityEventKind = (typeof CLIENT_SECURITY_EVENT_KINDS)[number];

/** The longest `detail` the API keeps (one line of plain text). */
export const SECURITY_EVENT_DETAIL_MAX_LENGTH = 500;

/** POST /security-events: answered 204 once the row is in the caller's trail. */
export interface ReportSecurityEventRequest {
  kind: ClientSecurityEventKind;
  /** What failed, in words, with ids and sizes but never a key or a secret. */
  detail: string;
}
