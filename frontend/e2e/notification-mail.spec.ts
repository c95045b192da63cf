import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserSession } from './support/browser.js';
import { checkedState, eventuallyAsync } from './support/eventually.js';
import { withDatabase } from './support/operator.js';
import { stackMailbox, type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, uploadFiles } from './support/records.js';
import { openSharedWithMe, patientAndApprovedDoctor, shareRecordWith } from './support/sharing.js';

const NOTIFICATION_SUBJECT = 'Something happened in your health records account';

/** The notification mails to `email` the stack's SMTP server kept. */
async function notificationMails(email: string) {
  return (await stackMailbox().to(email)).filter((mail) => mail.subject === NOTIFICATION_SUBJECT);
}

/** What the stack's mail job left of `email`'s account: still due, mailed when, mails waiting in the outbox. */
function mailState(email: string): Promise<{ isDue: boolean; lastEmailedAt: Date | null; queued: number }> {
  return withDatabase(async (db) => {
    const { rows } = await db.query<{ is_due: boolean; last_emailed_at: Date | null; queued: string }>(
      `SELECT EXISTS (SELECT 1 FROM notification_mail_due d WHERE d.subject_id = u.id) AS is_due,
              (SELECT s.last_emailed_at FROM notification_settings s WHERE s.user_id = u.id) AS last_emailed_at,
              (SELECT count(*) FROM mail_outbox o WHERE o.recipient = u.email AND o.subject = $2) AS queued
         FROM users u WHERE u.email = $1`,
      [email.toLowerCase(), NOTIFICATION_SUBJECT],
    );
    return { isDue: rows[0].is_due, lastEmailedAt: rows[0].last_emailed_at, queued: Number(rows[0].queued) };
  });
}

/**
 * The mail opt-out of issue 15, through the portal and the stack's real mail path (the mail job
 * every second, the outbox, the stack's SMTP server): a kind turned off "by email" sends nothing,
 * another kind still mails "something happened".
 */
describe('notification mails: a kind opted out of in the portal sends none (Chromium, the stack’s SMTP server)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let doctorFingerprint: string;
  const scan = markedFile(`knee-scan-${randomBytes(4).toString('hex')}.pdf`, 2000, 'KNEE');

  beforeAll(async () => {
    ({ patientBrowser, doctorBrowser, patient, doctor, doctorFingerprint } = await patientAndApprovedDoctor());
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  it('turns off mails of shares: the share mails nothing; the doctor’s read then mails once, with no content', async () => {
    const { page } = patientBrowser;
    await page.getByRole('link', { name: /^Notifications/ }).click();
    const sharesByMail = page.getByLabel('A share was made or ran out: by email');
    await checkedState(sharesByMail, true);
    await sharesByMail.uncheck();
    await page.getByRole('button', { name: 'Save notification settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    // A share: a "sharing" row in the patient's trail, which the mail job takes and drops.
    await openRecordsPage(page);
    await uploadFiles(page, [scan]);
    await shareRecordWith(page, scan, doctor, doctorFingerprint);
    await eventuallyAsync('the mail job to take the share', async () => !(await mailState(patient.email)).isDue);
    // Taken without a mail: nothing queued, and the gap between mails has not started.
    expect(await mailState(patient.email)).toEqual({ isDue: false, lastEmailedAt: null, queued: 0 });
    expect(await notificationMails(patient.email)).toEqual([]);

    // The doctor opens the record: an "access" row, a kind still wanted by mail.
    await openSharedWithMe(doctorBrowser.page);
    await downloadRecord(doctorBrowser.page, scan);
    const mail = await stackMailbox().next(patient.email, { subject: NOTIFICATION_SUBJECT });
    expect(mail.text).toContain('/notifications');
    for (const secret of [doctor.displayName, scan.name, 'opened', 'shared']) expect(mail.text.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(await notificationMails(patient.email)).toHaveLength(1);
    expect((await mailState(patient.email)).lastEmailedAt).not.toBeNull();

    // The setting is the portal's: still off when the page is opened again.
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await checkedState(page.getByLabel('A share was made or ran out: by email'), false);
    await checkedState(page.getByLabel('Someone else opened one of my records: by email'), true);
  });
});
