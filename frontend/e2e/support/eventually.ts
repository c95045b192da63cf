/**
 * Waiting for what the page shows. playwright-core has no retrying assertions (those come
 * with @playwright/test): a bare textContent(), isVisible(), count(), inputValue() or
 * getAttribute() reads the page once, at whatever point its rendering has reached, so an
 * assertion on it passes or fails by timing. These wait until the page shows what the test
 * expects (up to the browser context's default timeout) and fail saying what they last saw.
 */
import type { Locator } from 'playwright-core';

/** Waits until `condition` holds (state the test itself keeps, e.g. counted requests). */
export async function eventually(what: string, condition: () => boolean): Promise<void> {
  await until(what, () => Promise.resolve(condition()), (holds) => holds);
}

/** Waits until `condition` resolves true (a count of what the page shows, read again each time). */
export async function eventuallyAsync(what: string, condition: () => Promise<boolean>): Promise<void> {
  await until(what, condition, (holds) => holds);
}

/** Matches like Jest's: a string is a substring (or the whole text with `exact`), a RegExp is tested. */
type Expected = string | RegExp;

const CEILING_MS = 30_000;

async function until<T>(what: string, read: () => Promise<T>, holds: (value: T) => boolean, ceilingMs = CEILING_MS): Promise<T> {
  const deadline = Date.now() + ceilingMs;
  let last: T | string;
  for (;;) {
    try {
      const value = await read();
      if (holds(value)) return value;
      last = value;
    } catch (error) {
      last = `error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function matches(text: string, expected: Expected, exact: boolean): boolean {
  if (expected instanceof RegExp) return expected.test(text);
  return exact ? text === expected : text.includes(expected);
}

/** Waits until the element's text contains (or, with `exact`, is) `expected`; returns the text. */
export function textOf(locator: Locator, expected: Expected, options: { exact?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return until(
    `the text of ${String(locator)} to ${options.exact ? 'be' : 'match'} ${String(expected)}`,
    async () => (await locator.textContent({ timeout: 1_000 })) ?? '',
    (text) => matches(text, expected, options.exact ?? false),
    options.timeoutMs,
  );
}

/** Waits until the input's value is `expected`. */
export async function valueOf(locator: Locator, expected: string): Promise<void> {
  await until(`the value of ${String(locator)} to be ${expected}`, () => locator.inputValue({ timeout: 1_000 }), (value) => value === expected);
}

/** Waits until the attribute has the value (null: is absent). */
export async function attributeOf(locator: Locator, name: string, expected: string | null): Promise<void> {
  await until(`${name} of ${String(locator)} to be ${String(expected)}`, () => locator.getAttribute(name, { timeout: 1_000 }), (value) => value === expected);
}

/** Waits until exactly `expected` elements match. For 0, first wait for something that shows the page has settled. */
export async function countOf(locator: Locator, expected: number): Promise<void> {
  await until(`${expected} of ${String(locator)}`, () => locator.count(), (count) => count === expected);
}

/** Waits until the control is disabled (true) or enabled (false). */
export async function disabledState(locator: Locator, isDisabled: boolean): Promise<void> {
  await until(`${String(locator)} to be ${isDisabled ? 'disabled' : 'enabled'}`, () => locator.isDisabled({ timeout: 1_000 }), (value) => value === isDisabled);
}

/** Waits until the checkbox is checked (true) or not (false). */
export async function checkedState(locator: Locator, isChecked: boolean): Promise<void> {
  await until(`${String(locator)} to be ${isChecked ? 'checked' : 'unchecked'}`, () => locator.isChecked({ timeout: 1_000 }), (value) => value === isChecked);
}
