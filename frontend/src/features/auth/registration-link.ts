/**
 * The link of a registration mail (backend auth/registration/registration-mails.ts):
 * /register#token=…&email=…&role=…. The fragment never reaches a server, so
 * the token is in no access log and no Referer.
 */
import { SELF_REGISTERING_ROLES, type SelfRegisteringRole } from '@phr/shared-types';

export interface RegistrationLink {
  token: string;
  email: string;
  role: SelfRegisteringRole;
}

export function readRegistrationLink(hash: string): RegistrationLink | null {
  const fields = new URLSearchParams(hash.replace(/^#/, ''));
  const token = fields.get('token');
  const email = fields.get('email');
  if (!token || !email) return null;
  const role = fields.get('role');
  return { token, email, role: (SELF_REGISTERING_ROLES as readonly string[]).includes(role ?? '') ? (role as SelfRegisteringRole) : 'patient' };
}

/**
 * A one-time invitation: /register#invitation=…&email=… as mailed to a
 * clinician an operator invited (the fragment keeps the code out of every
 * server's log), or /register?invitation=… as the operator's create-auditor
 * step prints it. The invitation itself says the role (auditor, operator or
 * doctor); the email is a convenience the person may correct.
 */
export interface InvitationLink {
  code: string;
  email: string;
}

export function readInvitationLink(hash: string, search: string): InvitationLink | null {
  const fragment = new URLSearchParams(hash.replace(/^#/, ''));
  const code = fragment.get('invitation') ?? new URLSearchParams(search).get('invitation');
  if (!code) return null;
  return { code, email: fragment.get('email') ?? '' };
}

/** "an hour", "2 hours", "30 minutes": how long a link lasts, as the mail says it. */
export function describeLinkLifetime(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'an hour' : `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}
