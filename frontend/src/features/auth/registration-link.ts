/**
 * The link of a registration mail (backend auth/registration-mails.ts):
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

/** "an hour", "2 hours", "30 minutes": how long a link lasts, as the mail says it. */
export function describeLinkLifetime(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'an hour' : `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}
