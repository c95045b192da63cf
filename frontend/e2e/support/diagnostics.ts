/**
 * What the browsers of the running test saw that a failure may be explained by: page errors,
 * console errors, failed requests, server errors, navigations, crashes, and the lying server's
 * own 502s. A failed browser test says only which wait timed out ("waiting for getByLabel('Email')");
 * these lines say why the page never got there (a module that failed to load, a crash, a reload).
 *
 * The browser suites' test environment (support/environment.mjs) empties the list when a test
 * starts and prints it under a test or hook that failed; nothing is printed for a test that passed.
 */

/** Where the environment and the test share the list: the test's global object, under a registered symbol. */
export const BROWSER_EVENTS = Symbol.for('phr.e2e.browserEvents');

/** Enough to show the minute before a timeout; the oldest lines go first. */
const MOST_EVENTS = 400;

/** Notes one line for the running test, with the time it happened. Outside the browser environment, nothing. */
export function noteBrowserEvent(source: string, text: string): void {
  const events = (globalThis as Record<symbol, string[] | undefined>)[BROWSER_EVENTS];
  if (!events) return;
  events.push(`${new Date().toISOString().slice(11, 23)} ${source}: ${text}`);
  if (events.length > MOST_EVENTS) events.splice(0, events.length - MOST_EVENTS);
}
