/**
 * Trusted contacts (issue 16, docs/protocol.md "Trusted contacts") in two browsers: the patient
 * names another patient after comparing the key's numbers with the contact's own account page;
 * the contact asks; the patient is told at once (portal and mail) and refuses; the contact asks
 * again, the wait passes (the stored request time is moved back, as a server's clock would see
 * days go by) and the contact opens the record read-only, with the content the patient uploaded.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { countOf, textOf } from './support/eventually.js';
import { withDatabase } from './support/operator.js';
import { expectNoHorizontalScroll, goByMenu, PHONES } from './support/phone.js';
import { confirmRecoveryCode, newPerson, openAccountPage, register, replaceKeyPair, stackMailbox, type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, sha256, uploadFiles } from './support/records.js';

const NOTIFICATION_SUBJECT = 'Something happened in your health records account';

describe('trusted contacts (Chromium, a patient and a contact in two browsers)', () => {
  let patientBrowser: BrowserSession;
  let contactBrowser: BrowserSession;
  let patient: Person;
  let contact: Person;
  let contactFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const letter = markedFile(`advance-directive-${tag}.dat`, 5_000, `DIRECTIVE-${tag}`);

  beforeAll(async () => {
    [patientBrowser, contactBrowser] = await Promise.all([openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    contact = newPerson('patient');
    await confirmRecoveryCode(contactBrowser.page, await register(contactBrowser.page, contact));
    await openAccountPage(contactBrowser.page);
    contactFingerprint = await textOf(contactBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    await confirmRecoveryCode(patientBrowser.page, await register(patientBrowser.page, patient));
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), contactBrowser?.close()]);
  });

  async function openTrustedContacts(page: Page): Promise<void> {
    await page.getByRole('link', { name: 'Trusted contacts' }).click();
    await page.getByRole('heading', { name: 'Trusted contacts', level: 1 }).waitFor();
  }
  /** Away and back: the page asks for the list again, as it does when its tab comes back into view. */
  async function revisit(page: Page): Promise<void> {
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await openTrustedContacts(page);
  }
  const namedMe = (page: Page) => page.getByRole('list', { name: 'People who named you' }).getByRole('listitem', { name: patient.displayName });
  const myContact = (page: Page) => page.getByRole('list', { name: 'Your trusted contacts' }).getByRole('listitem', { name: contact.displayName });

  it('names the contact only after the numbers were compared', async () => {
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await uploadFiles(page, [letter]);
    await openTrustedContacts(page);
    await page.getByLabel('Their email (they need an account here)').fill(contact.email);
    await page.getByRole('button', { name: 'Find' }).click();
    const naming = page.getByRole('form', { name: `Name ${contact.displayName}` });
    await textOf(naming.getByTestId('contact-fingerprint'), contactFingerprint, { exact: true });
    const submit = naming.getByRole('button', { name: `Name ${contact.displayName} as trusted contact` });
    expect(await submit.isDisabled()).toBe(true);
    await naming.getByRole('button', { name: 'I compared the numbers' }).click();
    await textOf(naming.getByTestId('contact-compared'), /^Verified on \d/);
    await naming.getByLabel(/^Wait after they ask/).fill('3');
    await submit.click();
    await page.getByText(`${contact.displayName} is now a trusted contact.`).waitFor();
    await textOf(myContact(page).getByTestId('contact-status'), 'Has not asked for access.');
    await textOf(myContact(page), /May read all your records · wait 3 days/);
  });

  it('tells the patient at once when the contact asks, and the patient’s refusal ends the request', async () => {
    await openTrustedContacts(contactBrowser.page);
    await namedMe(contactBrowser.page).getByRole('button', { name: 'Ask for access' }).click();
    await textOf(namedMe(contactBrowser.page).getByTestId('request-status'), /^You asked on .+ Access opens on .+ unless .+ refuses\.$/);

    const page = patientBrowser.page;
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await textOf(page.getByTestId('notification').first(), `${contact.displayName} asked for access as a trusted contact`);
    const mail = await stackMailbox().next(patient.email, { subject: NOTIFICATION_SUBJECT });
    expect(mail.text.toLowerCase()).not.toContain(contact.displayName.toLowerCase());

    await openTrustedContacts(page);
    await textOf(myContact(page).getByTestId('contact-status'), /^Asked for access on .+: access opens on .+ unless you refuse\.$/);
    await myContact(page).getByRole('button', { name: 'Refuse the request' }).click();
    await textOf(myContact(page).getByTestId('contact-status'), /You refused the last request on /);

    await revisit(contactBrowser.page);
    await textOf(namedMe(contactBrowser.page).getByTestId('request-status'), `${patient.displayName} refused your last request on `);
    expect(await namedMe(contactBrowser.page).getByRole('button', { name: /^Open / }).count()).toBe(0);
  });

  it('after a second request and the whole wait, the contact opens the record read-only and gets the patient’s content', async () => {
    const page = contactBrowser.page;
    await namedMe(page).getByRole('button', { name: 'Ask for access' }).click();
    await textOf(namedMe(page).getByTestId('request-status'), /^You asked on /);
    // Three days pass for the database: the request time moves back; nothing in the browser changes.
    const moved = await withDatabase((client) =>
      client.query(`UPDATE trusted_contacts SET requested_at = requested_at - interval '3 days' WHERE contact_id = (SELECT id FROM users WHERE email = $1)`, [contact.email]),
    );
    expect(moved.rowCount).toBe(1);
    await revisit(page);
    await textOf(namedMe(page).getByTestId('request-status'), 'You can read these records (read-only).');
    const listed = namedMe(page).getByTestId('released-record');
    expect(await textOf(listed, `advance-directive-${tag}`)).toMatch(/^advance-directive-/);
    // Read-only: nothing there changes, shares or deletes a record.
    expect(await namedMe(page).getByRole('button', { name: /Delete|Share|Move|Trash/ }).count()).toBe(0);
    const saved = await downloadRecord(page, letter);
    expect(saved.name).toBe(letter.name);
    expect(sha256(saved.bytes)).toBe(sha256(letter.buffer));

    await revisit(patientBrowser.page);
    await textOf(myContact(patientBrowser.page).getByTestId('contact-status'), /^Has access since /);
  });

  it('after the contact makes a new key pair, the patient compares the new numbers and renews the access; the contact opens the record with the new key', async () => {
    const contactRow = async () =>
      (
        await withDatabase((client) =>
          client.query<{ key_fingerprint: string; wraps: string; renewals: string }>(
            `SELECT c.key_fingerprint, (SELECT count(*) FROM contact_wraps w WHERE w.trusted_contact_id = c.id) AS wraps,
                    (SELECT count(*) FROM audit_events a WHERE a.subject_id = c.patient_id AND a.action = 'contact.rewrap' AND a.outcome = 'allow') AS renewals
               FROM trusted_contacts c JOIN users u ON u.id = c.contact_id WHERE u.email = $1`,
            [contact.email],
          ),
        )
      ).rows[0];
    const before = await contactRow();
    expect([before.wraps, before.renewals]).toEqual(['1', '0']);
    const contactPage = contactBrowser.page;
    const newFingerprint = await replaceKeyPair(contactPage, contact.password);
    expect(newFingerprint).not.toBe(contactFingerprint);

    const page = patientBrowser.page;
    await revisit(page);
    const renewal = myContact(page).getByTestId('contact-renewal');
    await textOf(renewal, `${contact.displayName} has a new key.`);
    await renewal.getByRole('button', { name: `Check the new key of ${contact.displayName}` }).click();
    // The sealed contact holds the old numbers: the blocking warning and the new numbers; nothing to renew yet.
    await renewal.getByTestId('key-changed').waitFor();
    await textOf(renewal.getByTestId('doctor-fingerprint'), newFingerprint, { exact: true });
    await countOf(renewal.getByRole('button', { name: /^Renew the access/ }), 0);
    await expectNoAxeViolations(page, { state: 'trusted contact with a new key, numbers to compare' });
    await renewal.getByRole('button', { name: 'I compared the numbers' }).click();
    await textOf(renewal.getByTestId('contact-status'), /^Verified on \d/);
    await renewal.getByRole('button', { name: `Renew the access of ${contact.displayName}` }).click();
    await countOf(myContact(page).getByTestId('contact-renewal'), 0);
    // The contact's wraps are now for another key, the one record still wrapped, and the renewal is in the patient's trail.
    const after = await contactRow();
    expect([after.key_fingerprint === before.key_fingerprint, after.wraps, after.renewals]).toEqual([false, '1', '1']);

    await revisit(contactPage);
    await textOf(namedMe(contactPage).getByTestId('request-status'), 'You can read these records (read-only).');
    const saved = await downloadRecord(contactPage, letter);
    expect(sha256(saved.bytes)).toBe(sha256(letter.buffer));
  });

  it('fits a phone and passes axe, for the contact (released records) and for the patient (contacts, naming form)', async () => {
    for (const [who, { page }] of [['the contact', contactBrowser], ['the patient', patientBrowser]] as const) {
      await page.setViewportSize(PHONES[0]);
      await goByMenu(page, 'Trusted contacts', 'Trusted contacts');
      await expectNoHorizontalScroll(page, `the trusted contacts page of ${who}`);
      await expectNoAxeViolations(page, { state: `trusted contacts page of ${who}, on a phone` });
    }
  });
});
