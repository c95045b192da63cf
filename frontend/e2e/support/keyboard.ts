/**
 * Moving through the portal with the keyboard alone (Tab, Shift+Tab, Enter,
 * Space, Escape), as the keyboard-only tests do, and what a sighted keyboard
 * user needs at each stop: a visible focus ring.
 */
import type { Locator, Page } from 'playwright-core';

const MAX_TAB_STOPS = 80;

export interface FocusStop {
  /** What has focus, for messages: tag, then its name or text. */
  describe: string;
  /** The ring drawn for it: on the element, or (a visually hidden input) on its label. */
  outline: string;
}

/** The focused element and the ring the page draws for it now. */
export function focusStop(page: Page): Promise<FocusStop> {
  return page.evaluate(() => {
    const active = document.activeElement ?? document.body;
    // Past the last stop, focus leaves the page for the browser's own controls: nothing in the page has it.
    if (active === document.body) return { describe: 'body', outline: 'none' };
    // A visually hidden input (the "Choose files" one) shows its ring on the label around it.
    const ringHolder = active instanceof HTMLInputElement && active.getBoundingClientRect().width <= 1 ? (active.closest('label') ?? active) : active;
    const style = getComputedStyle(ringHolder);
    const name = active.getAttribute('aria-label') ?? (active instanceof HTMLInputElement ? (active.labels?.[0]?.textContent ?? active.type) : active.textContent);
    return {
      describe: `${active.tagName.toLowerCase()} "${(name ?? '').trim().slice(0, 60)}"`,
      outline: style.outlineStyle === 'none' || style.outlineWidth === '0px' ? 'none' : `${style.outlineWidth} ${style.outlineStyle}`,
    };
  });
}

export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

/**
 * Presses Tab (or Shift+Tab) until `target` has focus, and fails if any stop
 * on the way, the target included, shows no focus ring.
 */
export async function tabTo(page: Page, target: Locator, options: { backwards?: boolean } = {}): Promise<void> {
  await target.waitFor();
  const seen: string[] = [];
  for (let stop = 0; stop < MAX_TAB_STOPS; stop += 1) {
    await page.keyboard.press(options.backwards ? 'Shift+Tab' : 'Tab');
    const { describe, outline } = await focusStop(page);
    seen.push(describe);
    if (outline === 'none' && describe !== 'body') throw new Error(`${describe} has focus but shows no focus ring`);
    if (await isFocused(target)) return;
  }
  throw new Error(`${String(target)} never took focus in ${MAX_TAB_STOPS} presses of ${options.backwards ? 'Shift+Tab' : 'Tab'}; focus went: ${seen.join(' → ')}`);
}

/**
 * Tabs through every stop of the page once round, from the skip link (the
 * first stop of every page) back to it, and fails at the first stop without a
 * focus ring; returns the stops.
 */
export async function everyTabStop(page: Page): Promise<string[]> {
  const isOnSkipLink = () => page.evaluate(() => document.activeElement?.classList.contains('skip-link') ?? false);
  // eslint-disable-next-line sonarjs/misplaced-loop-counter -- loops until focus is on the skip link; `stop` only bounds the number of presses
  for (let stop = 0; !(await isOnSkipLink()); stop += 1) {
    if (stop > 4 * MAX_TAB_STOPS) throw new Error('Tab never reached the skip link');
    await page.keyboard.press('Tab');
  }
  const seen = [(await focusStop(page)).describe];
  for (let stop = 0; stop < 4 * MAX_TAB_STOPS; stop += 1) {
    await page.keyboard.press('Tab');
    if (await isOnSkipLink()) return seen;
    const { describe, outline } = await focusStop(page);
    if (describe === 'body') continue;
    if (outline === 'none') throw new Error(`${describe} has focus but shows no focus ring (after ${seen.join(' → ')})`);
    seen.push(describe);
  }
  throw new Error(`Tab never came back round to the skip link; focus went: ${seen.join(' → ')}`);
}
