/**
 * Phones (issue 15): at 360×740 and 390×844 no page scrolls sideways
 * (document.documentElement.scrollWidth <= innerWidth), the header's nav sits
 * behind a menu button, records are cards, and the share dialog fits the
 * screen with its Share button reachable and working. A patient, a doctor and
 * an operator, each in a browser of their own, plus one signed out.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES } from '@phr/shared-types';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { approveDoctor, listedClinician, newOperator, registerOperator } from './support/clinicians.js';
import { attributeOf, textOf } from './support/eventually.js';
import { expectInsideWindow, expectNoHorizontalScroll, goByMenu, PHONES } from './support/phone.js';
import { ACCOUNT_SECTIONS, confirmRecoveryCode, newPerson, register, type Person } from './support/portal.js';
import { markedFile, titleOf, uploadFiles } from './support/records.js';
import { chooseDoctor, confirmDoctorKey } from './support/sharing.js';

const REGISTRATIONS_TIMEOUT_MS = 300_000;
describe('phones: 360 and 390 px wide (Chromium)', () => {
  let visitor: BrowserSession;
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let operatorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let doctorFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  // A long name without spaces: the kind of title that pushed tables past the edge.
  const labResult = markedFile(`haematology-full-blood-count-with-differential-${tag}.dat`, RECORD_CHUNK_BYTES + 3, `PHONE-MARKER-${tag}`);

  beforeAll(async () => {
    [visitor, patientBrowser, doctorBrowser, operatorBrowser] = await Promise.all([openBrowser(), openBrowser(), openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    doctor = newPerson('doctor');
    await Promise.all([
      register(patientBrowser.page, patient).then((code) => confirmRecoveryCode(patientBrowser.page, code)),
      register(doctorBrowser.page, doctor).then((code) => confirmRecoveryCode(doctorBrowser.page, code)),
      registerOperator(operatorBrowser.page, newOperator()),
    ]);
    await approveDoctor(doctor);
    doctorFingerprint = await textOf(doctorBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    await patientBrowser.page.getByRole('link', { name: 'Records', exact: true }).click();
    await uploadFiles(patientBrowser.page, [labResult]);
  }, REGISTRATIONS_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([visitor?.close(), patientBrowser?.close(), doctorBrowser?.close(), operatorBrowser?.close()]);
  });

  describe.each(PHONES)('$width×$height', (viewport) => {
    beforeAll(async () => {
      await Promise.all([visitor, patientBrowser, doctorBrowser, operatorBrowser].map((browser) => browser.page.setViewportSize(viewport)));
    });

    it('the signed-out pages fit', async () => {
      const { page } = visitor;
      for (const [path, heading] of [
        ['/login', 'Sign in'],
        ['/register', 'Create your account'],
        ['/recover', 'Recover your account'],
      ] as const) {
        await page.goto(portalUrl(path));
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await expectNoHorizontalScroll(page, path);
      }
    });

    it('a patient’s header collapses behind a menu with Account and Sign out in reach, and every page fits', async () => {
      const { page } = patientBrowser;
      await goByMenu(page, 'Account', 'Your account');
      await expectNoHorizontalScroll(page, 'the account page');
      // The account's own pages: their links wrap inside the window, and each page fits.
      const sections = page.getByRole('navigation', { name: 'Account sections' });
      for (const section of Object.values(ACCOUNT_SECTIONS)) {
        const link = sections.getByRole('link', { name: section.link, exact: true });
        await expectInsideWindow(page, link, `the ${section.link} link`);
        await link.click();
        await page.getByRole('heading', { name: section.heading, exact: true }).waitFor();
        await attributeOf(link, 'aria-current', 'page');
        await expectNoHorizontalScroll(page, section.path);
      }
      await sections.getByRole('link', { name: 'Profile', exact: true }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await page.locator('#main-nav').isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Menu' }).click();
      await expectInsideWindow(page, nav.getByRole('link', { name: 'Account' }), 'the Account link');
      await expectInsideWindow(page, nav.getByRole('button', { name: 'Sign out' }), 'the Sign out button');
      await expectNoHorizontalScroll(page, 'the account page, menu open');
      await expectNoAxeViolations(page, { state: `account page at ${viewport.width} px, menu open` });
      // Escape inside the open menu closes it and gives focus back to its button.
      await nav.getByRole('link', { name: 'Account' }).focus();
      await page.keyboard.press('Escape');
      await attributeOf(page.getByRole('button', { name: 'Menu' }), 'aria-expanded', 'false');
      expect(await page.getByRole('button', { name: 'Menu' }).evaluate((element) => element === document.activeElement)).toBe(true);

      await goByMenu(page, 'Records', 'Your records');
      const row = page.getByTestId('record-row').filter({ hasText: titleOf(labResult) });
      await row.waitFor();
      await expectNoHorizontalScroll(page, 'the records page');
      // Records as cards: each row a block as wide as the list, its actions inside the window.
      expect(await row.evaluate((element) => getComputedStyle(element).display)).toBe('block');
      const deleteButton = row.getByRole('button', { name: `Delete ${titleOf(labResult)}` });
      await deleteButton.scrollIntoViewIfNeeded();
      await expectInsideWindow(page, deleteButton, 'the Delete button of a record');

      await goByMenu(page, 'Consents', 'Who can see your records');
      await expectNoHorizontalScroll(page, 'the consents page');
      await goByMenu(page, 'Audit trail', 'Audit trail');
      await page.getByTestId('audit-row').first().waitFor();
      await expectNoHorizontalScroll(page, 'the audit trail');
      await goByMenu(page, 'Records', 'Your records');
    });

    it('the share dialog fits the window, scrolls inside, and its Share button is reached and works', async () => {
      const { page } = patientBrowser;
      // One record at the first width, all records at the next: two consents, each a first share of its scope.
      const isFirstWidth = viewport.width === PHONES[0].width;
      await page.getByRole('button', { name: isFirstWidth ? `Share ${titleOf(labResult)}` : 'Share all records' }).click();
      const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
      await chooseDoctor(dialog, doctor);
      await confirmDoctorKey(dialog, doctorFingerprint, { isFirstShare: isFirstWidth });
      if (!isFirstWidth) {
        // Sharing everything, the list of the records it wraps, by their titles, fits as well.
        await dialog.getByText('Which records').click();
        await textOf(dialog.getByRole('list', { name: 'Records this shares' }), titleOf(labResult));
      }
      await expectInsideWindow(page, dialog, 'the share dialog');
      await expectNoAxeViolations(page, { state: `share dialog at ${viewport.width} px` });
      await expectNoHorizontalScroll(page, 'the records page with the share dialog open');
      const share = dialog.getByRole('button', { name: 'Share', exact: true });
      await share.scrollIntoViewIfNeeded();
      await expectInsideWindow(page, share, 'the Share button');
      await share.click();
      await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'detached' });
    });

    it('a doctor’s and an operator’s pages fit', async () => {
      const doctorPage = doctorBrowser.page;
      await goByMenu(doctorPage, 'Account', 'Your account');
      await expectNoHorizontalScroll(doctorPage, 'the doctor’s account page');
      await goByMenu(doctorPage, 'Shared with me', 'Shared with me');
      await doctorPage.getByRole('button', { name: `Open ${titleOf(labResult)}` }).waitFor();
      await expectNoHorizontalScroll(doctorPage, 'shared with me');
      await goByMenu(doctorPage, 'Access history', 'Your access history');
      await doctorPage.getByTestId('audit-row').first().waitFor();
      await expectNoHorizontalScroll(doctorPage, 'the access history');

      const operatorPage = operatorBrowser.page;
      await goByMenu(operatorPage, 'Account', 'Your account');
      await goByMenu(operatorPage, 'Clinicians', 'Clinicians');
      const approved = operatorPage.getByRole('group', { name: 'Show clinicians' }).getByRole('button', { name: 'Approved', exact: true });
      await approved.click();
      await attributeOf(approved, 'aria-pressed', 'true');
      await listedClinician(operatorPage, doctor.displayName);
      await expectNoHorizontalScroll(operatorPage, 'the clinicians page');
    });
  });
});
