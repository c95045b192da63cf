/**
 * The mails of docs/protocol.md "Clinicians". Plain text, no health data: an
 * invitation carries its link; a patient's notice says only that a doctor
 * they share records with changed standing, and to sign in to see which.
 */
import { REGISTRATION_LINK_PATH } from '@phr/shared-types';
import type { OutgoingMail } from '../mail/outgoing-mail.js';

/** The portal's registration page with the code and the email in the fragment, which no server receives. */
export function invitationLink(portalOrigin: string, code: string, email: string): string {
  return `${portalOrigin}${REGISTRATION_LINK_PATH}#${new URLSearchParams({ invitation: code, email }).toString()}`;
}

export function clinicianInvitationMail(portalOrigin: string, to: string, link: string, operatorName: string, expiresAt: Date): OutgoingMail {
  return {
    to,
    subject: 'You are invited to a health records service as a clinician',
    text: [
      `${operatorName} invited you to the health records service as a verified clinician.`,
      '',
      `To choose your password and finish, open this link before ${expiresAt.toISOString()}:`,
      '',
      link,
      '',
      'The link works once. If you did not expect this, ignore this mail: no account is made without the link.',
      '',
      portalOrigin,
    ].join('\n'),
  };
}

/** To a patient whose doctor was suspended or reinstated: no name, no record, only a reason to sign in. */
export function doctorStandingMail(portalOrigin: string, to: string): OutgoingMail {
  return {
    to,
    subject: 'A doctor you share records with has changed standing',
    text: [
      'The service’s operators changed the standing of a doctor you share health records with.',
      '',
      `Sign in at ${portalOrigin}/login to see who, and what it means for your records: your sharing page and your audit trail show it.`,
      '',
      portalOrigin,
    ].join('\n'),
  };
}
