/** Steps a person takes in the portal, written once for every browser test. */
import { ROUTES, type AuditPage } from '@phr/shared-types';
import type { Page } from 'playwright-core';
import { linkIn, Mailbox } from '@phr/infra/local/mail/mailbox.js';
import { SECURITY_EVENT_KINDS } from '../../src/features/account/security-events.js';
import { portalUrl } from './browser.js';
import { attributeOf, disabledState, textOf } from './eventually.js';

export interface Person {
  email: string;
  displayName: string;
  password: string;
  role: 'patient' | 'doctor';
  /** Doctors: what the operator checks before approving them (support/clinicians.ts approveDoctor). */
  licence?: string;
  organisation?: string;
}

let counter = 0;
export function newPerson(role: Person['role'] = 'patient'): Person {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  const person: Person = { email: `${role}-${tag}@example.org`, displayName: `${role === 'doctor' ? 'Dr. ' : ''}Avery ${tag}`, password: `violet Lantern orbit ${tag} marsh`, role };
  return role === 'doctor' ? { ...person, licence: `GMC-${tag}`, organisation: `Riverside Clinic ${tag}` } : person;
}

let mailbox: Mailbox | undefined;

/** The mails the stack's SMTP server kept (the browser suite's global setup names the folder). */
export function stackMailbox(): Mailbox {
  const dir = process.env.E2E_MAIL_DIR;
  if (!dir) throw new Error('E2E_MAIL_DIR is not set: run the browser suite through Jest (its global setup starts the stack)');
  mailbox ??= new Mailbox(dir);
  return mailbox;
}

/** Step one of a registration: the email, then the page that says to check the inbox. */
export async function startRegistration(page: Page, person: Person): Promise<void> {
  await page.goto(portalUrl('/register'));
  await page.getByRole('radio', { name: person.role === 'doctor' ? 'Doctor' : 'Patient' }).check();
  await page.getByLabel('Email').fill(person.email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
}

/** The link of the next registration mail to `email`, as the person would click it (by subject: an erased account's address may still hold its notification mails). */
export async function registrationLinkFor(email: string): Promise<string> {
  const mail = await stackMailbox().next(email, { subject: 'Finish creating your health records account' });
  const link = linkIn(mail);
  if (!link) throw new Error(`The mail to ${email} has no link: "${mail.subject}"`);
  return link;
}

/** Step two's form, reached as a person reaches it: the email, then the link in the mail. */
export async function openRegistrationForm(page: Page, person: Person): Promise<void> {
  await startRegistration(page, person);
  await page.goto(await registrationLinkFor(person.email));
  await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
}

/**
 * Registers as a person does: email, the link from the mail, then the form; returns the recovery
 * code shown once. A doctor gives a licence and an organisation, and then waits for an operator
 * (support/clinicians.ts approveDoctor) before patients can find them.
 */
export async function register(page: Page, person: Person): Promise<string> {
  await openRegistrationForm(page, person);
  await page.getByRole('radio', { name: person.role === 'doctor' ? 'Doctor' : 'Patient' }).check();
  await page.getByLabel('Full name').fill(person.displayName);
  if (person.role === 'doctor') await fillDoctorDetails(page, person);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByLabel('Confirm password').fill(person.password);
  await page.getByLabel('I have read the privacy notice').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  return readRecoveryCode(page);
}

export async function fillDoctorDetails(page: Page, doctor: Person): Promise<void> {
  if (!doctor.licence || !doctor.organisation) throw new Error(`${doctor.email} has no licence or organisation: make doctors with newPerson('doctor')`);
  await page.getByLabel('Licence or registration number').fill(doctor.licence);
  await page.getByLabel('Organisation').fill(doctor.organisation);
}

export function readRecoveryCode(page: Page): Promise<string> {
  return textOf(page.getByTestId('recovery-code'), /^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/, { timeoutMs: 30_000 });
}

/**
 * Resolves, once the portal has read them after a sign-in, with the number of audit rows it
 * found for each kind of its security notice (SECURITY_EVENT_KINDS order). Start it before
 * signing in; only then does the absence of the notice mean something.
 */
export async function securityCountsAfterSignIn(page: Page): Promise<number[]> {
  const responses = await Promise.all(
    SECURITY_EVENT_KINDS.map((kind) =>
      page.waitForResponse((response) => {
        const url = new URL(response.url());
        return url.pathname.endsWith(ROUTES.listAudit.path) && url.searchParams.get('action') === kind.action && url.searchParams.get('outcome') === kind.outcome && url.searchParams.has('from');
      }),
    ),
  );
  return Promise.all(responses.map(async (response) => ((await response.json()) as AuditPage).items.length));
}

/**
 * Confirms the recovery code screen: the box, then the last group typed back. The person lands on
 * their home page (a patient on Records); the test goes on from the account page.
 */
export async function confirmRecoveryCode(page: Page, code: string): Promise<void> {
  const continueButton = page.getByRole('button', { name: 'Continue' });
  await disabledState(continueButton, true);
  await page.getByLabel('I have stored this code somewhere safe').check();
  await disabledState(continueButton, true);
  await page.getByLabel('Type the last group of the code to confirm').fill(code.split('-').at(-1) ?? '');
  await continueButton.click();
  // Off the code's page first: its header shows Sign out too, and after a recovery the page asks
  // for the account's security keys before it leaves (at once when there are none); a click on
  // Account before the portal has left is overtaken by its navigation to the home page.
  await page.waitForURL((url) => url.pathname !== '/recovery-code');
  await openAccountPage(page);
}

/** Signs in from the sign-in page, then opens the account page, where most tests go on (a patient lands on Records). */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(portalUrl('/login'));
  await fillSignIn(page, email, password);
  await openAccountPage(page);
}

/** Once signed in: the account page, through the navigation. */
export async function openAccountPage(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
}

/** The account's pages besides the profile, by their link in the account's own navigation, and a card each shows first. */
export const ACCOUNT_SECTIONS = {
  security: { link: 'Password, security keys and sessions', heading: 'Change password', path: '/account/security' },
  keys: { link: 'Encryption keys', heading: 'Replace your key pair', path: '/account/keys' },
  data: { link: 'Your data', heading: 'Delete account', path: '/account/data' },
} as const;

/** Once signed in: one of the account's pages (/account/security, /account/keys, /account/data), through both navigations. */
export async function openAccountSection(page: Page, section: keyof typeof ACCOUNT_SECTIONS): Promise<void> {
  const { link, heading } = ACCOUNT_SECTIONS[section];
  await openAccountPage(page);
  const sectionLink = page.getByRole('navigation', { name: 'Account sections' }).getByRole('link', { name: link, exact: true });
  await sectionLink.click();
  await attributeOf(sectionLink, 'aria-current', 'page');
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
}

/** Once signed in: a new key pair made on the account's keys page; resolves with the new key's fingerprint as the page shows it. */
export async function replaceKeyPair(page: Page, password: string): Promise<string> {
  await openAccountSection(page, 'keys');
  const card = page.getByRole('region', { name: 'Replace your key pair' });
  await card.getByLabel('Password to confirm the new key pair').fill(password);
  await card.getByRole('button', { name: 'Make a new key pair' }).click();
  const rotated = await textOf(card.getByTestId('key-rotated'), /New fingerprint: (\d{5} ){7}\d{5}\./, { timeoutMs: 60_000 });
  return (/((\d{5} ){7}\d{5})/.exec(rotated) as RegExpExecArray)[1];
}

/**
 * The lock screen of a browser that holds a session (after a reload, in a new tab, after the
 * lock): it shows the account's email and asks only for the password. Resolves once unlocked.
 */
export async function unlock(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Unlock' }).waitFor();
  await textOf(page.getByTestId('locked-email'), email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}
