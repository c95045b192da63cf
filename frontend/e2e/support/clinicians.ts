/**
 * Who may be a doctor (docs/protocol.md "Clinicians"), as the browser suite
 * needs it: operators made by the operator's command-line step (its helper,
 * called with the stack database's owner URL), doctors approved by one, and
 * the operator's Clinicians page in the portal.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROUTES, type ClinicianList, type ClinicianStatus, type ClinicianSummary } from '@phr/shared-types';
import type { Locator, Page } from 'playwright-core';
import { createStaffInvitation } from '../../../backend/src/cli/invitations.js';
import { registerStaff, type RegistrationApi } from '@phr/backend/test-support/factories.js';
import { testClient, type TestClient, type RouteResult } from '@phr/backend/test-support/http.js';
import { portalUrl } from './browser.js';
import { attributeOf, eventuallyAsync } from './eventually.js';
import { confirmRecoveryCode, readRecoveryCode, stackMailbox, type Person } from './portal.js';

export interface Operator {
  email: string;
  displayName: string;
  password: string;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser suite through Jest`);
  return value;
}

/** A client of the stack's API as the portal's page would call it (same Origin). */
export function apiClient(): TestClient {
  return testClient(requiredEnv('E2E_API_URL'), new URL(portalUrl('/')).origin);
}

/** The one-time code of an operator's (or an auditor's) invitation, as the operator's step makes it. */
export async function staffInvitation(role: 'auditor' | 'operator', email: string, displayName: string): Promise<string> {
  const { code } = await createStaffInvitation(requiredEnv('E2E_DATABASE_URL'), role, email, displayName);
  return code;
}

export function newOperator(): Operator {
  const tag = randomBytes(4).toString('hex');
  return { email: `operator-${tag}@example.org`, displayName: `Operator Morgan ${tag}`, password: `amber Harbour kettle ${tag} ridge` };
}

/** The stack's API as the API suites' factories address one: its address, its mail folder, its database's owner URL. */
let stack: RegistrationApi | undefined;
export function stackApi(): RegistrationApi {
  stack ??= { baseUrl: requiredEnv('E2E_API_URL'), mail: stackMailbox(), ownerUrl: requiredEnv('E2E_DATABASE_URL') };
  return stack;
}

/**
 * An operator account that exists only for the API calls of a test's set-up
 * (its key blobs are shaped, not real: it never opens anything). Remade after
 * a few minutes, well within an access token's life: a refresh from Node would
 * be refused by the stack's same-origin guard.
 */
const API_OPERATOR_MAX_AGE_MS = 5 * 60_000;
let apiOperatorToken: Promise<string> | undefined;
let apiOperatorMadeAt = 0;

async function makeApiOperator(): Promise<string> {
  const operator = await registerStaff(stackApi(), 'operator', newOperator().displayName);
  return operator.token;
}

function operatorToken(): Promise<string> {
  if (!apiOperatorToken || Date.now() - apiOperatorMadeAt > API_OPERATOR_MAX_AGE_MS) {
    apiOperatorMadeAt = Date.now();
    const made = makeApiOperator();
    made.catch(() => (apiOperatorToken = undefined));
    apiOperatorToken = made;
  }
  return apiOperatorToken;
}

/** The clinician registered with `email`, as operators list them (every page of the status asked). */
export async function clinicianByEmail(email: string, status: ClinicianStatus, token?: string): Promise<ClinicianSummary | undefined> {
  const bearer = token ?? (await operatorToken());
  let cursor: string | null = null;
  do {
    const response: RouteResult<ClinicianList> = await apiClient().send(ROUTES.listClinicians, { query: { status, limit: 50, cursor: cursor ?? undefined }, token: bearer });
    if (response.status !== 200) throw new Error(`GET /clinicians failed: ${response.status} ${response.text}`);
    const found = response.body.items.find((item) => item.email === email.toLowerCase());
    if (found) return found;
    cursor = response.body.nextCursor;
  } while (cursor);
  return undefined;
}

/**
 * An operator approves the doctor who registered in the portal (their request
 * waits in the queue): only then can patients find them and share with them.
 */
export async function approveDoctor(doctor: Person): Promise<ClinicianSummary> {
  const token = await operatorToken();
  const waiting = await clinicianByEmail(doctor.email, 'pending', token);
  if (!waiting) throw new Error(`${doctor.email} is not waiting for an operator's approval`);
  const response = await apiClient().send(ROUTES.approveClinician, { params: { id: waiting.id }, token });
  if (response.status !== 200 && response.status !== 201) throw new Error(`approve ${doctor.email} failed: ${response.status} ${response.text}`);
  return response.body;
}

/** Runs `create-auditor` as an operator does, against the stack's database; returns the invitation code it prints (its second line). */
export async function createAuditorCommand(email: string, displayName: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'backend/src/cli/create-auditor.ts', '--email', email, '--name', displayName], {
    cwd: path.resolve(import.meta.dirname, '../../..'),
    env: { PATH: process.env.PATH, DATABASE_MIGRATION_URL: process.env.E2E_DATABASE_URL },
  });
  return stdout.split('\n')[1].trim();
}

/** An operator redeems the invitation of the operator's step in the portal (the link it prints: /register?invitation=…). */
export async function registerOperator(page: Page, operator: Operator): Promise<void> {
  const code = await staffInvitation('operator', operator.email, operator.displayName);
  await page.goto(portalUrl(`/register?invitation=${encodeURIComponent(code)}`));
  await redeemInvitation(page, operator);
}

/** The invitation form, opened from an invitation link: the email (unless the link gave it), the password, the notice. */
export async function redeemInvitation(page: Page, person: Pick<Operator, 'email' | 'password'>): Promise<void> {
  await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByLabel('Confirm password').fill(person.password);
  await page.getByLabel('I have read the privacy notice').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await confirmRecoveryCode(page, await readRecoveryCode(page));
}

export async function openClinicians(page: Page, status: 'Waiting' | 'Approved' | 'Suspended' | 'Refused'): Promise<void> {
  await page.getByRole('link', { name: 'Clinicians' }).click();
  await page.getByRole('heading', { name: 'Clinicians', exact: true }).waitFor();
  const tab = page.getByRole('group', { name: 'Show clinicians' }).getByRole('button', { name: status, exact: true });
  await tab.click();
  await attributeOf(tab, 'aria-pressed', 'true');
  // An empty list has no box to be visible: attached, and the page done loading it.
  await page.getByRole('list', { name: `${status} clinicians` }).waitFor({ state: 'attached' });
  await page.getByText('Loading…').waitFor({ state: 'detached' });
}

/** The clinician's entry on the operator's page. */
export function clinicianEntry(page: Page, displayName: string): Locator {
  return page.getByRole('article', { name: displayName, exact: true });
}

/**
 * The clinician's entry on the operator's open list, pressing "Show more" until it is listed:
 * each list shows 20 at a time, oldest request first, and the suite's shared database holds
 * many clinicians by the time a late spec looks for its own.
 */
export async function listedClinician(page: Page, displayName: string): Promise<Locator> {
  const entry = clinicianEntry(page, displayName);
  const more = page.getByRole('button', { name: 'Show more', exact: true });
  const items = page.locator('ul.clinician-list > li');
  const isListed = async () => (await entry.count()) > 0;
  // A list shown from the page's cache is fetched again in the background: wait for the entry, or
  // for a page of more to ask for, rather than judging the list as first drawn.
  const canShowMore = async () => (await more.count()) > 0 && (await more.isEnabled({ timeout: 1_000 }).catch(() => false));
  for (;;) {
    await eventuallyAsync(`${displayName} on the list, or more of it to show`, async () => (await isListed()) || (await canShowMore()));
    if (await isListed()) return entry;
    const shown = await items.count();
    await more.click();
    await eventuallyAsync(`more than ${shown} clinicians listed`, async () => (await isListed()) || (await items.count()) > shown);
  }
}
