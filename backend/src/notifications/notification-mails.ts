import type { OutgoingMail } from '../mail/outgoing-mail.js';

/** The only mail a notification sends: that something happened, never what (no record, person or kind). */
export function notificationMail(portalOrigin: string, to: string): OutgoingMail {
  return {
    to,
    subject: 'Something happened in your health records account',
    text: [
      'Something happened in your health records account.',
      '',
      `Sign in to see what: ${portalOrigin}/notifications`,
      '',
      'You can choose which kinds of event send this mail on the Notifications page.',
    ].join('\n'),
  };
}
