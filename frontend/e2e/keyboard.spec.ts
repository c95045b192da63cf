/**
 * Keyboard only (issue 15): signing in, uploading, sharing and revoking with
 * Tab, Shift+Tab, Enter, Space and Escape, and no mouse. Every stop on the
 * way shows a focus ring (support/keyboard.ts tabTo), focus goes to the new
 * page's heading after a navigation, and the share dialog keeps focus inside
 * and hands it back to its opener. The accounts are made by the usual steps
 * first; only the flows under test are keyboard-only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { approveDoctor } from './support/clinicians.js';
import { textOf } from './support/eventually.js';
import { everyTabStop, focusStop, isFocused, tabTo } from './support/keyboard.js';
import { confirmRecoveryCode, newPerson, register, signOut, type Person } from './support/portal.js';
import { pngFile, titleOf, uploadRow } from './support/records.js';

const REGISTRATIONS_TIMEOUT_MS = 240_000;

describe('keyboard only: sign in, upload, share, revoke (Chromium)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let doctorFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const scan = pngFile(`wrist-xray-${tag}.png`, 5, 5);

  beforeAll(async () => {
    [patientBrowser, doctorBrowser] = await Promise.all([openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    doctor = newPerson('doctor');
    await Promise.all([
      register(doctorBrowser.page, doctor).then((code) => confirmRecoveryCode(doctorBrowser.page, code)),
      register(patientBrowser.page, patient).then((code) => confirmRecoveryCode(patientBrowser.page, code)),
    ]);
    await approveDoctor(doctor);
    doctorFingerprint = await textOf(doctorBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    await signOut(patientBrowser.page);
  }, REGISTRATIONS_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  /** A link of the header's nav, reached backwards from the page's heading, and followed; focus lands on the new heading. */
  async function followNavLink(page: Page, name: string, heading: string): Promise<void> {
    await tabTo(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }), { backwards: true });
    await page.keyboard.press('Enter');
    const newHeading = page.getByRole('heading', { name: heading, level: 1 });
    await newHeading.waitFor();
    await expectFocused(page, newHeading.describe(`the heading “${heading}”`));
  }

  async function expectFocused(page: Page, locator: ReturnType<Page['locator']>): Promise<void> {
    const holds = await isFocused(locator);
    if (!holds) throw new Error(`${String(locator)} does not have focus; ${(await focusStop(page)).describe} has`);
  }

  it('signs in: Tab to the fields, type, Enter; a patient lands on Records, focus on its heading', async () => {
    const page = patientBrowser.page;
    await page.goto(portalUrl('/login'));
    await tabTo(page, page.getByLabel('Email'));
    await page.keyboard.type(patient.email);
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type(patient.password);
    await page.keyboard.press('Enter');
    const heading = page.getByRole('heading', { name: 'Your records', level: 1 });
    await heading.waitFor({ timeout: 60_000 });
    await expectFocused(page, heading);
  });

  it('uploads: “Choose files” takes focus with a ring, Space opens the file chooser', async () => {
    const page = patientBrowser.page;
    // Signing in landed here.
    await page.getByRole('heading', { name: 'Your records', level: 1 }).waitFor();
    const fileInput = page.locator('input[type=file]');
    await tabTo(page, fileInput);
    const ring = await focusStop(page);
    expect(ring.outline).not.toBe('none');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles([scan]);
    await uploadRow(page, scan).and(page.locator('[data-phase=done]')).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: `Open ${titleOf(scan)}` }).waitFor();
  });

  it('opens a record with Enter; Escape closes the viewer and focus returns to its Open button', async () => {
    const page = patientBrowser.page;
    const opener = page.getByRole('button', { name: `Open ${titleOf(scan)}` });
    await tabTo(page, opener);
    await page.keyboard.press('Enter');
    const viewer = page.getByRole('dialog', { name: titleOf(scan) });
    await viewer.getByTestId('record-preview').waitFor({ timeout: 60_000 });
    await expectFocused(page, viewer.getByRole('button', { name: 'Close' }));
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await expectFocused(page, opener);
  });

  it('shares: the dialog keeps focus inside, Escape closes it and focus returns to its opener; then a share made with keys alone', async () => {
    const page = patientBrowser.page;
    const opener = page.getByRole('button', { name: `Share ${titleOf(scan)}` });
    await tabTo(page, opener);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
    const search = dialog.getByLabel('Find a doctor (name or email)');
    await search.waitFor();
    await expectFocused(page, search);
    // Round the dialog more than once, both ways: focus never leaves it.
    for (const key of [...Array<string>(12).fill('Tab'), ...Array<string>(12).fill('Shift+Tab')]) {
      await page.keyboard.press(key);
      const isInside = await dialog.evaluate((element) => element.contains(document.activeElement));
      if (!isInside) throw new Error(`${key} took focus out of the share dialog, to ${(await focusStop(page)).describe}`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expectFocused(page, opener);

    await page.keyboard.press('Enter');
    await search.waitFor();
    await expectFocused(page, search);
    await page.keyboard.type(doctor.displayName.slice(4));
    const choice = dialog.getByRole('radio', { name: doctor.displayName });
    await tabTo(page, choice);
    await page.keyboard.press('Space');
    await textOf(dialog.getByTestId('doctor-fingerprint'), doctorFingerprint, { exact: true });
    await tabTo(page, dialog.getByRole('button', { name: 'I compared the numbers' }));
    await page.keyboard.press('Enter');
    await textOf(dialog.getByTestId('contact-status'), /^Verified on \d/);
    await tabTo(page, dialog.getByRole('button', { name: 'Share', exact: true }));
    await page.keyboard.press('Enter');
    await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
    await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await expectFocused(page, opener);
  });

  it('every stop on the account, records, consents and audit pages shows a focus ring', async () => {
    const page = patientBrowser.page;
    const pages: [link: string, heading: string, loaded: () => ReturnType<Page['locator']>][] = [
      ['Account', 'Your account', () => page.getByTestId('fingerprint')],
      ['Records', 'Your records', () => page.getByRole('button', { name: `Open ${titleOf(scan)}` })],
      ['Consents', 'Who can see your records', () => page.getByTestId('consent-row').first()],
      ['Audit trail', 'Audit trail', () => page.getByTestId('audit-row').first()],
    ];
    for (const [link, heading, loaded] of pages) {
      await followNavLink(page, link, heading);
      await loaded().waitFor();
      const stops = await everyTabStop(page);
      expect(stops.length).toBeGreaterThan(5);
    }
  });

  it('revokes: from the consents page, confirmed with Enter', async () => {
    const page = patientBrowser.page;
    await followNavLink(page, 'Consents', 'Who can see your records');
    const consent = page.getByTestId('consent-row').filter({ hasText: doctor.displayName });
    await tabTo(page, consent.getByRole('button', { name: `Revoke ${doctor.displayName}` }));
    await page.keyboard.press('Enter');
    await tabTo(page, consent.getByRole('button', { name: 'Yes, revoke' }));
    await page.keyboard.press('Enter');
    await consent.getByRole('cell', { name: 'revoked', exact: true }).waitFor();
  });
});
