/**
 * Phones (issue 15), for the specs that look at the portal 360 and 390 px wide: no page
 * wider than the window, the header's nav behind its Menu button, controls inside the window.
 */
import type { Locator, Page } from 'playwright-core';
import { attributeOf } from './eventually.js';

export const PHONES = [
  { width: 360, height: 740 },
  { width: 390, height: 844 },
];

/** Fails naming the widest elements when the page is wider than the window. */
export async function expectNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const { scrollWidth, innerWidth, overflowing } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    overflowing: [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className} (${Math.round(element.getBoundingClientRect().right)} px)`),
  }));
  if (scrollWidth > innerWidth) throw new Error(`${where} is ${scrollWidth} px wide in a ${innerWidth} px window; past the edge: ${overflowing.join(', ')}`);
}

/**
 * The header's nav on a phone: the menu button opens it, the link is followed, the menu closes
 * again. A string names the link exactly; a RegExp matches a link whose name carries a count.
 */
export async function goByMenu(page: Page, link: string | RegExp, heading: string): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu' });
  await attributeOf(menu, 'aria-expanded', 'false');
  // The button names what it opens; closed, the nav is hidden from everyone (and from getByRole).
  const controlled = page.locator(`#${await menu.getAttribute('aria-controls')}`);
  const controls = await controlled.evaluate((element) => `${element.tagName} ${element.getAttribute('aria-label')}`);
  if (controls !== 'NAV Main') throw new Error(`the Menu button controls ${controls}, not the main navigation`);
  await menu.click();
  await attributeOf(menu, 'aria-expanded', 'true');
  const name = typeof link === 'string' ? { name: link, exact: true } : { name: link };
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', name).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  await attributeOf(menu, 'aria-expanded', 'false');
}

/** Every part of the element is inside the window. */
export async function expectInsideWindow(page: Page, locator: Locator, what: string): Promise<void> {
  const box = await locator.boundingBox();
  const size = page.viewportSize();
  if (!box || !size) throw new Error(`${what} is not shown`);
  const isInside = box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 0.5 && box.y + box.height <= size.height + 0.5;
  if (!isInside) throw new Error(`${what} (${JSON.stringify(box)}) is not inside the ${size.width}×${size.height} window`);
}
