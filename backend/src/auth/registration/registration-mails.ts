/**
 * The two mails a registration start can send (docs/protocol.md,
 * "Registration"). Plain text, in the same few lines either way; neither
 * carries health data. Only the address's owner reads which one it got.
 */
import { REGISTRATION_LINK_PATH, type SelfRegisteringRole } from '@phr/shared-types';
import type { OutgoingMail } from '../../mail/outgoing-mail.js';

/** The portal's registration page with the token, email and role in the fragment, which no server receives. */
export function registrationLink(portalOrigin: string, token: string, email: string, role: SelfRegisteringRole): string {
  const fragment = new URLSearchParams({ token, email, role });
  return `${portalOrigin}${REGISTRATION_LINK_PATH}#${fragment.toString()}`;
}

/** For an address without an account: the link that finishes the registration. */
export function registrationLinkMail(portalOrigin: string, to: string, link: string, linkSeconds: number): OutgoingMail {
  return {
    to,
    subject: 'Finish creating your health records account',
    text: [
      'Someone, hopefully you, asked to create a health records account with this email address.',
      '',
      `To choose your password and finish, open this link within ${describeDuration(linkSeconds)}:`,
      '',
      link,
      '',
      'The link works once. If you did not ask for this, ignore this mail: no account is made without the link.',
      '',
      portalOrigin,
    ].join('\n'),
  };
}

/** For an address that has an account: a warning, and no link. */
export function accountExistsMail(portalOrigin: string, to: string): OutgoingMail {
  return {
    to,
    subject: 'Someone tried to register with your email address',
    text: [
      'Someone asked to create a health records account with this email address, which already has an account.',
      '',
      `If it was you, sign in at ${portalOrigin}/login`,
      `or, if you forgot your password, set a new one with your recovery code at ${portalOrigin}/recover`,
      '',
      'If it was not you, you need not do anything: nothing was changed and no account was made.',
      '',
      portalOrigin,
    ].join('\n'),
  };
}

function describeDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? '24 hours' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'an hour' : `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}
