import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { ROUTES } from '@phr/shared-types';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { withDatabase } from './support/operator.js';
import { SECURITY_EVENT_KINDS } from '../src/features/account/security-events.js';
import {
  confirmRecoveryCode,
  fillDoctorDetails,
  fillSignIn,
  newPerson,
  openRegistrationForm,
  readRecoveryCode,
  securityCountsAfterSignIn,
  register,
  registrationLinkFor,
  signIn,
  signOut,
  stackMailbox,
  startRegistration,
  type Person,
  openAccountSection,
  unlock,
} from './support/portal.js';
import { attributeOf, checkedState, countOf, disabledState, eventually, textOf, valueOf } from './support/eventually.js';

/** A real paste: the text goes to the clipboard, then Ctrl+V in the field, so a paste blocker would show. */
async function pastePassword(page: Page, label: string, text: string): Promise<void> {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  const input = page.getByLabel(label, { exact: true });
  await input.fill('');
  await input.focus();
  await page.keyboard.press('ControlOrMeta+V');
  await valueOf(input, text);
}

describe('accounts in the portal (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;
  let recoveryCode: string;

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('registers a patient and shows the recovery code, which must be confirmed before going on', async () => {
    const { page } = browser;
    recoveryCode = await register(page, patient);
    await confirmRecoveryCode(page, recoveryCode);
    await page.getByText(patient.email, { exact: true }).waitFor();
    await textOf(page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
  });

  it('keeps nothing secret in web storage or script-readable cookies', async () => {
    const { page } = browser;
    const stored = await page.evaluate(() => ({
      local: Object.fromEntries(Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i) ?? '').map((key) => [key, localStorage.getItem(key)])),
      session: sessionStorage.length,
      cookies: document.cookie,
    }));
    expect({ session: stored.session, cookies: stored.cookies }).toEqual({ session: 0, cookies: '' });
    // The email of the session the lock screen unlocks (docs/protocol.md "Lock, reload and new tabs"), and nothing else of it.
    const { 'phr.session': remembered, ...heads } = stored.local;
    expect(JSON.parse(remembered ?? 'null')).toEqual({ email: patient.email });
    // At most the heads this browser verified (docs/protocol.md "Client state", rollback): sizes and hashes, no key, no token, no name.
    for (const [key, value] of Object.entries(heads)) {
      expect(key).toMatch(/^phr\.kept-heads\.[0-9a-f-]{36}$/);
      const heads = JSON.parse(value ?? 'null') as Record<string, unknown>;
      expect(Object.keys(heads).sort()).toEqual(['audit', 'keyLog']);
      expect(heads.keyLog === null || Object.keys(heads.keyLog as object).sort().join() === 'rootHash,treeSize').toBe(true);
      expect(heads.audit === null || Object.keys(heads.audit as object).sort().join() === 'hash,sequence').toBe(true);
    }
  });

  it('shows the same fingerprint the server stored for the account', async () => {
    const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
    await client.connect();
    const { rows } = await client.query<{ fingerprint: string }>(
      'SELECT k.fingerprint FROM public_keys k JOIN users u ON u.id = k.user_id WHERE u.email = $1',
      [patient.email],
    );
    await client.end();
    const shown = await textOf(browser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    const expected = Array.from({ length: 8 }, (_, i) => String(Number.parseInt(rows[0].fingerprint.slice(i * 8, i * 8 + 8), 16) % 100_000).padStart(5, '0')).join(' ');
    expect(shown).toBe(expected);
  });

  it('signs out, refuses a wrong password with a clear message, and signs in with the right one', async () => {
    const { page } = browser;
    await signOut(page);
    await fillSignIn(page, patient.email, `${patient.password} typo`);
    await textOf(page.getByRole('alert'), 'Email or password is incorrect');
    await page.getByLabel('Password').fill(patient.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // A patient lands on their records.
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
  });

  it('drops the keys on reload, not the session: the lock screen asks only for the password; another account signs it out', async () => {
    const { page } = browser;
    await page.reload();
    await page.getByRole('heading', { name: 'Unlock' }).waitFor();
    await textOf(page.getByTestId('locked-email'), patient.email);
    await countOf(page.getByLabel('Email'), 0);
    await page.getByRole('button', { name: 'Use another account' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('changes the password; then only the new one signs in', async () => {
    const { page } = browser;
    await signIn(page, patient.email, patient.password);
    await openAccountSection(page, 'security');
    const newPassword = `${patient.password} renewed`;
    await page.getByLabel('Current password').fill(patient.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await signOut(page);

    await fillSignIn(page, patient.email, patient.password);
    await page.getByRole('alert').waitFor();
    await signIn(page, patient.email, newPassword);
    patient.password = newPassword;
  });

  it('recovers with the recovery code: a new password, a new code, and the old code stops working', async () => {
    const { page } = browser;
    await signOut(page);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    const recovered = `${patient.password} recovered`;
    await page.getByLabel('Email').fill(patient.email);
    await page.getByLabel('Recovery code').fill(recoveryCode.toLowerCase().replace(/-/g, ' '));
    await page.getByLabel('New password', { exact: true }).fill(recovered);
    await page.getByLabel('Confirm new password').fill(recovered);
    await page.getByRole('button', { name: 'Set new password' }).click();
    const newCode = await readRecoveryCode(page);
    expect(newCode).not.toBe(recoveryCode);
    await confirmRecoveryCode(page, newCode);

    await signOut(page);
    await signIn(page, patient.email, recovered);
    patient.password = recovered;
    await signOut(page);

    await page.goto(portalUrl('/recover'));
    await page.getByLabel('Email').fill(patient.email);
    await page.getByLabel('Recovery code').fill(recoveryCode);
    await page.getByLabel('New password', { exact: true }).fill(`${recovered} again`);
    await page.getByLabel('Confirm new password').fill(`${recovered} again`);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await textOf(page.getByRole('alert'), 'recovery code is incorrect');
  });

  it('checks a new password in a worker of its own, says so when that worker cannot load, and enables the form only on the verdict for what the field now reads', async () => {
    const { page } = browser;
    const workerScript = (url: URL) => url.pathname.includes('password-check-worker');
    let workerLoads = 0;
    await browser.context.route(workerScript, (route) => {
      workerLoads += 1;
      return route.abort();
    });
    await page.goto(portalUrl('/recover'));
    // The worker starts with the form, before a key is typed: its dictionaries load while the rest is filled in.
    await eventually('the password-check worker to be asked for', () => workerLoads > 0);
    await page.getByLabel('Email').fill(patient.email);
    await page.getByLabel('Recovery code').fill(recoveryCode);
    const password = page.getByLabel('New password', { exact: true });
    const confirmation = page.getByLabel('Confirm new password');
    const verdict = page.getByTestId('password-strength');
    const submit = page.getByRole('button', { name: 'Set new password' });
    // Digits make zxcvbn match every l33t reading against its dictionaries again: seconds of work on a busy machine.
    const strong = 'violet Lantern orbit 13345701 marsh';
    await password.fill(strong);
    await confirmation.fill(strong);
    await textOf(verdict, 'The strength check could not run');
    await disabledState(submit, true);

    await browser.context.unroute(workerScript);
    await password.fill(`${strong}!`);
    await confirmation.fill(`${strong}!`);
    await textOf(verdict, 'Very strong');
    await disabledState(submit, false);
    expect(page.workers().map((worker) => new URL(worker.url()).pathname)).toContainEqual(expect.stringMatching(/password-check-worker/));

    // Typed over, key by key: the form waits for the verdict on what the field now reads.
    await password.fill('');
    await password.pressSequentially('password1234');
    await confirmation.fill('password1234');
    await textOf(verdict, /^Weak/);
    await disabledState(submit, true);
    await attributeOf(verdict, 'aria-busy', 'false');
  });

  it('registers in two steps: the email, “check your inbox”, the link from the mail, the password, and the person is signed in', async () => {
    const { page } = browser;
    const person = newPerson('doctor');
    await page.goto(portalUrl('/register'));
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await expect(page.getByLabel('Password', { exact: true }).count()).resolves.toBe(0);
    await page.getByRole('radio', { name: 'Doctor' }).check();
    await page.getByLabel('Email').fill(person.email);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await expect(page.getByText(`We sent a mail to ${person.email}.`).isVisible()).resolves.toBe(true);
    await expect(page.getByText('within an hour').isVisible()).resolves.toBe(true);

    const link = await registrationLinkFor(person.email);
    expect(new URL(link).origin).toBe(new URL(portalUrl('/')).origin);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    // The token is dropped from the address bar (and so from the history) once read.
    expect(new URL(page.url()).hash).toBe('');
    await expect(page.getByTestId('registration-email').textContent()).resolves.toBe(person.email);
    await expect(page.getByRole('radio', { name: 'Doctor' }).isChecked()).resolves.toBe(true);
    await page.getByLabel('Full name').fill(person.displayName);
    // A doctor says where they practise: an operator checks it before patients can find them.
    await disabledState(page.getByRole('button', { name: 'Create account' }), true);
    await fillDoctorDetails(page, person);
    await page.getByLabel('Password', { exact: true }).fill(person.password);
    await page.getByLabel('Confirm password').fill(person.password);
    await page.getByLabel('I have read the privacy notice').check();
    await page.getByRole('button', { name: 'Create account' }).click();
    await confirmRecoveryCode(page, await readRecoveryCode(page));
    await expect(page.getByText(person.email).isVisible()).resolves.toBe(true);
    await expect(page.getByText(`${person.displayName} (doctor)`).isVisible()).resolves.toBe(true);
    await textOf(page.getByTestId('clinician-standing'), 'Your account is awaiting verification by an operator: patients cannot find you or share with you yet.');
    await signOut(page);

    // The same link again: spent, and the page says so and offers to start over.
    await page.goto(link);
    await page.getByLabel('Full name').fill(person.displayName);
    await fillDoctorDetails(page, person);
    await page.getByLabel('Password', { exact: true }).fill(`${person.password} 2`);
    await page.getByLabel('Confirm password').fill(`${person.password} 2`);
    await page.getByLabel('I have read the privacy notice').check();
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('This link has expired or was already used');
    await page.getByRole('button', { name: 'Start again' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  });

  it('says “check your inbox” for an email that has an account too, and mails its owner a warning instead of a link', async () => {
    const { page } = browser;
    await startRegistration(page, patient);
    await expect(page.getByText(`We sent a mail to ${patient.email}.`).isVisible()).resolves.toBe(true);
    // By subject: the stack also mails "something happened" notifications (the failed sign-ins above are refusals on this account).
    const warning = await stackMailbox().next(patient.email, { subject: 'Someone tried to register with your email address' });
    expect(warning.text).toContain(portalUrl('/login'));
    expect(warning.text).not.toContain('/register');
  });

  it('keeps Create account disabled for a too short or common password, with the meter saying why, and for an unticked privacy notice', async () => {
    const { page } = browser;
    const person = newPerson('patient');
    await openRegistrationForm(page, person);
    await page.getByLabel('Full name').fill(person.displayName);
    const create = page.getByRole('button', { name: 'Create account' });
    const meter = page.getByRole('meter', { name: 'Password strength' });
    const strengthLabel = page.locator('.strength-label');
    const problems = page.locator('.strength-problems');
    const setPassword = async (password: string) => {
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByLabel('Confirm password').fill(password);
    };

    await setPassword('q7#Vx!2mZ@k');
    await problems.getByText('Use at least 12 characters.').waitFor();
    await disabledState(create, true);

    await setPassword('password1234');
    await problems.waitFor();
    await countOf(problems.getByText('Use at least 12 characters.'), 0);
    await textOf(problems, /common|guess/i);
    await textOf(strengthLabel, /^(Very weak|Weak|Fair)$/);
    await expect(meter.getAttribute('value').then(Number)).resolves.toBeLessThan(3);
    await disabledState(create, true);

    await setPassword(person.password);
    await problems.waitFor({ state: 'detached' });
    await textOf(strengthLabel, /^(Strong|Very strong)$/);
    await expect(meter.getAttribute('value').then(Number)).resolves.toBeGreaterThanOrEqual(3);
    // A strong password is not enough: the privacy notice must be read and its box ticked.
    await page.getByRole('heading', { name: 'Privacy notice' }).waitFor();
    const consent = page.getByLabel('I have read the privacy notice');
    await checkedState(consent, false);
    await disabledState(create, true);
    await page.getByLabel('Confirm password').press('Enter');
    await consent.check();
    await disabledState(create, false);
    await consent.uncheck();
    await disabledState(create, true);
    const { rows } = await withDatabase((client) => client.query('SELECT 1 FROM users WHERE email = $1', [person.email]));
    expect(rows).toHaveLength(0);
  });

  it('lets a password be pasted, and gives password managers the autocomplete hints they need', async () => {
    const { page, context } = browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(portalUrl('/')).origin });
    await page.goto(portalUrl('/login'));
    await attributeOf(page.getByLabel('Email'), 'autocomplete', 'username');
    await attributeOf(page.getByLabel('Password', { exact: true }), 'autocomplete', 'current-password');
    await page.getByLabel('Email').fill(patient.email);
    await pastePassword(page, 'Password', patient.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await openAccountSection(page, 'security');
    await attributeOf(page.getByLabel('Current password'), 'autocomplete', 'current-password');
    await attributeOf(page.getByLabel('New password', { exact: true }), 'autocomplete', 'new-password');
    await attributeOf(page.getByLabel('Confirm new password'), 'autocomplete', 'new-password');
    await signOut(page);

    await openRegistrationForm(page, newPerson('patient'));
    await attributeOf(page.getByLabel('Password', { exact: true }), 'autocomplete', 'new-password');
    await attributeOf(page.getByLabel('Confirm password'), 'autocomplete', 'new-password');
    await pastePassword(page, 'Password', 'pasted violet lantern orbit');
    await pastePassword(page, 'Confirm password', 'pasted violet lantern orbit');
    await textOf(page.locator('.strength-label'), /^(Strong|Very strong)$/);
    await countOf(page.getByText('The two passwords are not the same.'), 0);
  });

  it('shows and hides each password with an accessible toggle on sign-in, registration, password change and recovery', async () => {
    const { page } = browser;
    const checkToggle = async (label: string) => {
      const input = page.getByLabel(label, { exact: true });
      const toggle = page.getByRole('button', { name: `Show ${label.toLowerCase()}`, exact: true });
      await input.fill(`secret for ${label}`);
      await attributeOf(toggle, 'aria-pressed', 'false');
      await attributeOf(input, 'type', 'password');
      await attributeOf(toggle, 'aria-controls', await input.getAttribute('id'));
      await toggle.click();
      await attributeOf(toggle, 'aria-pressed', 'true');
      await attributeOf(input, 'type', 'text');
      await valueOf(input, `secret for ${label}`);
      await attributeOf(input, 'spellcheck', 'false');
      // The keyboard reaches it too.
      await toggle.focus();
      await page.keyboard.press('Space');
      await attributeOf(toggle, 'aria-pressed', 'false');
      await attributeOf(input, 'type', 'password');
    };

    await page.goto(portalUrl('/login'));
    await checkToggle('Password');
    await openRegistrationForm(page, newPerson('patient'));
    await checkToggle('Password');
    await checkToggle('Confirm password');
    await page.goto(portalUrl('/recover'));
    await checkToggle('New password');
    await checkToggle('Confirm new password');
    await signIn(page, patient.email, patient.password);
    await openAccountSection(page, 'security');
    await checkToggle('Current password');
    await checkToggle('New password');
    await checkToggle('Confirm new password');
    await signOut(page);
  });

  it('tells the user at sign-in about failed sign-ins since the previous one, once', async () => {
    const { page } = browser;
    const person = newPerson('patient');
    await confirmRecoveryCode(page, await register(page, person));
    await signOut(page);
    for (const attempt of ['first wrong guess', 'second wrong guess']) {
      const refused = page.waitForResponse((response) => response.url().endsWith(ROUTES.login.path) && response.status() === 401);
      await fillSignIn(page, person.email, `${person.password} ${attempt}`);
      await refused;
      await textOf(page.getByRole('alert'), 'Email or password is incorrect');
    }
    await signIn(page, person.email, person.password);
    const notice = page.getByTestId('security-notice');
    await textOf(notice, '2 failed sign-in attempts on your account');
    await textOf(notice, 'If this was not you, change your password');
    await expectNoAxeViolations(page, { state: 'security notice after sign-in' });
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await notice.waitFor({ state: 'detached' });

    // The next sign-in starts from this one: nothing new to tell.
    await signOut(page);
    const counts = securityCountsAfterSignIn(page);
    await signIn(page, person.email, person.password);
    expect(await counts).toEqual(SECURITY_EVENT_KINDS.map(() => 0));
    await countOf(notice, 0);

    // A changed password is told at the next sign-in (from any browser: it comes from the trail).
    const newPassword = `${person.password} changed`;
    await openAccountSection(page, 'security');
    await page.getByLabel('Current password').fill(person.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await signOut(page);
    await signIn(page, person.email, newPassword);
    await textOf(notice, 'your password was changed');
    await expect(notice.textContent()).resolves.not.toContain('failed sign-in');
  });

  it('locks and clears the keys after 15 minutes without input, and not before; the password unlocks it', async () => {
    const idleBrowser = await openBrowser();
    try {
      const { page } = idleBrowser;
      await page.clock.install();
      await signIn(page, patient.email, patient.password);
      await page.clock.fastForward('14:00');
      await page.getByRole('link', { name: 'Account' }).click();
      // Input restarts the count: another 14 minutes later the session is still there.
      await page.clock.fastForward('14:00');
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      const logouts = async () => {
        const { rows } = await withDatabase((client) =>
          client.query<{ count: string }>("SELECT count(*) AS count FROM audit_events a JOIN users u ON u.id = a.subject_id WHERE u.email = $1 AND a.action = 'session.logout'", [
            patient.email,
          ]),
        );
        return Number(rows[0].count);
      };
      const logoutsBefore = await logouts();
      await page.clock.fastForward('15:01');
      await page.getByText('Locked after 15 minutes without activity. Your keys were cleared from this page; your password unlocks it again.').waitFor();
      await countOf(page.getByRole('button', { name: 'Sign out' }), 0);
      // The keys are gone, not the session (docs/protocol.md "Lock, reload and new tabs"): no sign-out was
      // recorded, a new page load finds the lock screen, and only the password opens it.
      expect(await logouts()).toBe(logoutsBefore);
      await page.goto(portalUrl('/account'));
      await unlock(page, patient.email, patient.password);
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
    } finally {
      await idleBrowser.close();
    }
  });

  it('registers a doctor too', async () => {
    const doctorBrowser = await openBrowser();
    try {
      const doctor = newPerson('doctor');
      const code = await register(doctorBrowser.page, doctor);
      await confirmRecoveryCode(doctorBrowser.page, code);
      await doctorBrowser.page.getByText(`${doctor.displayName} (doctor)`, { exact: true }).waitFor();
    } finally {
      await doctorBrowser.close();
    }
  });
});
