/**
 * Every audit action in plain words, once: the audit page, the notifications and the access
 * summary all say what happened with these. A new code in AUDIT_ACTIONS fails to compile here
 * (and action-wording.spec.ts checks every code has both forms).
 */
import type { AuditAction, AuditEvent } from '@phr/shared-types';

/** What an entry is about, already in words: who acted and which record. */
export interface EventParts {
  actor: string;
  record: string;
}

/** [what was done, what was tried] for one action: "opened X" and "open X". */
type Wording = readonly [done: (record: string) => string, tried: (record: string) => string];

const plain = (done: string, tried: string): Wording => [() => done, () => tried];

export const ACTION_WORDING: Record<AuditAction, Wording> = {
  'account.register': plain('created the account', 'create the account'),
  'account.password-change': plain('changed the password', 'change the password'),
  'account.recovery-keys': plain('made a new recovery code', 'make a new recovery code'),
  'account.recovery': plain('recovered the account with the recovery code', 'recover the account with a recovery code'),
  'account.erase': plain('erased the account', 'erase the account'),
  'account.update': plain('changed the account’s details or settings', 'change the account’s details'),
  'account.client-state': plain('saved this browser’s sealed settings', 'save the sealed settings'),
  'account.security-key-add': plain('added a security key', 'add a security key'),
  'account.security-key-remove': plain('removed a security key', 'remove a security key'),
  'account.totp-enrol': plain('started setting up an authenticator app', 'set up an authenticator app'),
  'account.totp-confirm': plain('confirmed an authenticator app with a code', 'confirm an authenticator app'),
  'account.totp-remove': plain('removed an authenticator app', 'remove an authenticator app'),
  'account.key-rotation-start': plain('started replacing the account key', 'start replacing the account key'),
  'account.key-rotation-batch': plain('re-sealed keys under the new account key', 're-seal keys under the new account key'),
  'account.key-rotation-finish': plain('finished replacing the account key', 'finish replacing the account key'),
  'session.login': plain('signed in', 'sign in'),
  'session.lockout': plain('was held back from signing in after wrong passwords', 'sign in, and was held back after wrong passwords'),
  'session.proof-of-work': plain('was asked for a proof of work before signing in', 'sign in without a proof of work'),
  'session.security-key': plain('used a security key to sign in', 'sign in with a security key'),
  'session.totp': plain('used an authenticator app code to sign in', 'sign in with an authenticator app code'),
  'session.refresh': plain('stayed signed in', 'stay signed in'),
  'session.refresh-reuse': plain('reused an old sign-in (all its sessions were ended)', 'reuse an old sign-in'),
  'session.logout': plain('signed out', 'sign out'),
  'session.timeout': plain('was signed out after a time limit', 'stay signed in past the time limit'),
  'session.list': plain('looked at the signed-in browsers', 'look at the signed-in browsers'),
  'session.revoke': plain('signed a browser out', 'sign a browser out'),
  'session.unlock': plain('unlocked the portal with the password', 'unlock the portal'),
  'session.replace': plain('signed in again in the same browser (the earlier session there was ended)', 'sign in again in the same browser'),
  'session.api-token-issue': plain('issued a read-only API token', 'issue an API token'),
  'session.api-token-list': plain('looked at the API tokens', 'look at the API tokens'),
  'session.api-token-revoke': plain('ended an API token', 'end an API token'),
  'record.upload': [(record) => `started uploading ${record}`, (record) => `upload ${record}`],
  'record.create': [(record) => `saved ${record}`, (record) => `save ${record}`],
  'record.read': [(record) => `opened ${record}`, (record) => `open ${record}`],
  'record.list': plain('listed the records', 'list the records'),
  'record.delete': [(record) => `deleted ${record}`, (record) => `delete ${record}`],
  'record.trash': [(record) => `moved ${record} to the trash`, (record) => `move ${record} to the trash`],
  'record.restore': [(record) => `restored ${record} from the trash`, (record) => `restore ${record} from the trash`],
  'record.purge': [(record) => `deleted ${record} for good after its time in the trash`, (record) => `delete ${record} from the trash`],
  'record.update': [(record) => `changed the title, date or category of ${record}`, (record) => `change the details of ${record}`],
  'record.move': [(record) => `moved ${record} to another folder`, (record) => `move ${record} to another folder`],
  'record.upload-expired': [(record) => `cleared an unfinished upload (${record})`, (record) => `clear an unfinished upload (${record})`],
  'folder.create': plain('created a folder', 'create a folder'),
  'folder.rename': plain('renamed a folder', 'rename a folder'),
  'folder.delete': plain('deleted a folder', 'delete a folder'),
  'folder.list': plain('listed the folders', 'list the folders'),
  'key.read': plain('fetched a public key', 'fetch a public key'),
  'key.rotate': plain('replaced the account’s key pair', 'replace the key pair'),
  'consent.grant': [(record) => `shared ${record}`, (record) => `share ${record}`],
  'consent.revoke': [(record) => `stopped sharing ${record}`, (record) => `stop sharing ${record}`],
  'consent.list': plain('looked at the shares', 'look at the shares'),
  'consent.expire': [(record) => `ended a share of ${record} that ran out`, (record) => `end a share of ${record}`],
  'contact.named': plain('named a trusted contact', 'name a trusted contact'),
  'contact.removed': plain('removed a trusted contact', 'remove a trusted contact'),
  'contact.changed': plain('changed a trusted contact’s wait', 'change a trusted contact’s wait'),
  'contact.rewrap': plain('renewed a trusted contact’s access for their new key', 'renew a trusted contact’s access'),
  'contact.requested': plain('asked for access as a trusted contact', 'ask for access as a trusted contact'),
  'contact.refused': plain('refused a trusted contact’s request', 'refuse a trusted contact’s request'),
  'contact.released': plain('received access as a trusted contact after the wait', 'receive access as a trusted contact'),
  'contact.list': plain('looked at the trusted contacts', 'look at the trusted contacts'),
  'contact.lookup': plain('looked up an account to name as a trusted contact', 'look up an account to name as a trusted contact'),
  'consent.rewrap': plain('renewed a share for the doctor’s new key', 'renew a share for a new key'),
  'clinician.invite': plain('was invited as a clinician', 'invite a clinician'),
  'clinician.request': plain('asked to be approved as a clinician', 'ask to be approved as a clinician'),
  'clinician.approve': plain('approved a clinician', 'approve a clinician'),
  'clinician.refuse': plain('refused a clinician', 'refuse a clinician'),
  'clinician.suspend': plain('suspended a clinician', 'suspend a clinician'),
  'clinician.reinstate': plain('reinstated a clinician', 'reinstate a clinician'),
  'clinician.list': plain('looked at the clinicians', 'look at the clinicians'),
  'emergency.configured': plain('changed the emergency access (break-glass) settings', 'change the emergency access settings'),
  'emergency.broken': plain('broke the glass: emergency access to records', 'break the glass for emergency access'),
  'emergency.share-released': plain('released an emergency key share to a clinician', 'release an emergency key share'),
  'emergency.ended': plain('ended an emergency access', 'end an emergency access'),
  'emergency.reviewed': plain('reviewed an emergency access', 'review an emergency access'),
  'emergency.list': plain('looked at emergency accesses', 'look at emergency accesses'),
  'audit.read': plain('read the audit trail', 'read the audit trail'),
  'audit.export': plain('exported the audit trail', 'export the audit trail'),
  'audit.head': plain('checked the audit trail’s latest entry', 'check the audit trail'),
  'audit.access-report': plain('made an access report of who opened the records', 'make an access report'),
  'route.access': plain('opened a page their role may not use', 'open a page their role may not use'),
  'security.client-report': plain('reported a failed security check in the browser', 'report a security check'),
  'route.rate-limit': plain('sent too many requests and was slowed down', 'send more requests than allowed'),
};

/** One sentence for an entry: "Dr Sam Okafor opened chest-xray.pdf", "Nosy Stranger tried to open chest-xray.pdf (refused)". */
export function describeEvent(event: Pick<AuditEvent, 'action' | 'outcome'>, parts: EventParts): string {
  const [done, tried] = ACTION_WORDING[event.action];
  return event.outcome === 'deny' ? `${parts.actor} tried to ${tried(parts.record)} (refused)` : `${parts.actor} ${done(parts.record)}`;
}

/** The action alone, for filter lists: "Opened a record". */
export function actionLabel(action: AuditAction): string {
  const text = ACTION_WORDING[action][0]('a record');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
