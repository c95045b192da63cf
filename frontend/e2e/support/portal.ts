/** Steps a person takes in the portal, written once for every browser test. */
import { expect } from '@jest/globals';
import type { Page } from 'playwright-core';
import { portalUrl } from './browser.js';

export interface Person {
  email: string;
  displayName: string;
  password: string;
  role: 'patient' | 'doctor';
}

let counter = 0;
export function newPerson(role: Person['role'] = 'patient'): Person {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return { email: `${role}-${tag}@example.org`, displayName: `${role === 'doctor' ? 'Dr. ' : ''}Avery ${tag}`, password: `violet Lantern orbit ${tag} marsh`, role };
}

/** Registers through the form and returns the recovery code shown once. */
export async function register(page: Page, person: Person): Promise<string> {
  await page.goto(portalUrl('/register'));
  await page.getByRole('radio', { name: person.role === 'doctor' ? 'Doctor' : 'Patient' }).check();
  await page.getByLabel('Full name').fill(person.displayName);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByLabel('Confirm password').fill(person.password);
  await page.getByLabel('I have read the privacy notice').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  return readRecoveryCode(page);
}

export async function readRecoveryCode(page: Page): Promise<string> {
  const code = (await page.getByTestId('recovery-code').textContent({ timeout: 30_000 })) ?? '';
  expect(code).toMatch(/^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
  return code;
}

/** Confirms the recovery code screen: the box, then the last group typed back. */
export async function confirmRecoveryCode(page: Page, code: string): Promise<void> {
  const continueButton = page.getByRole('button', { name: 'Continue' });
  await expect(continueButton.isDisabled()).resolves.toBe(true);
  await page.getByLabel('I have stored this code somewhere safe').check();
  await expect(continueButton.isDisabled()).resolves.toBe(true);
  await page.getByLabel('Type the last group of the code to confirm').fill(code.split('-').at(-1) ?? '');
  await continueButton.click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(portalUrl('/login'));
  await fillSignIn(page, email, password);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
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
