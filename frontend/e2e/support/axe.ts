/**
 * axe-core (Deque, MPL-2.0) run in the page as it stands: every rule axe
 * enables by default (WCAG 2.0–2.2 A and AA, and its best practices), over the
 * whole document. The source goes in through the DevTools protocol
 * (page.evaluate), which the portal's Content-Security-Policy does not govern;
 * an injected <script> tag would be refused by it, as it should be.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AxeResults, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

let axeSource: Promise<string> | undefined;

function loadAxeSource(): Promise<string> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

export interface AxeCheckOptions {
  /** What the page shows, for the failure message ("records page, share dialog open"). */
  state?: string;
  /** CSS selectors left out of the check: only for parts this product does not render (none so far). */
  exclude?: string[];
}

/** The violations axe finds in the page now (none expected), in the shape of its own results. */
export async function axeViolations(page: Page, options: Pick<AxeCheckOptions, 'exclude'> = {}): Promise<Result[]> {
  const hasAxe = await page.evaluate(() => 'axe' in window);
  if (!hasAxe) await page.evaluate(await loadAxeSource());
  const runOptions: RunOptions = { resultTypes: ['violations'] };
  const results = await page.evaluate(
    async ({ exclude, runOptions }) => {
      const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<AxeResults> } }).axe;
      const context = exclude.length > 0 ? { include: [document], exclude: exclude.map((selector) => [selector]) } : document;
      const { violations } = await axe.run(context, runOptions);
      // Only what the report needs crosses back: the nodes' DOM references do not serialise.
      return violations.map((violation) => ({ ...violation, nodes: violation.nodes.map((node) => ({ ...node, any: [], all: [], none: [] })) }));
    },
    { exclude: options.exclude ?? [], runOptions },
  );
  return results;
}

/** One line per violation: its rule, impact, what it asks, and where (CSS selectors of each node). */
export function describeViolations(violations: Result[]): string {
  return violations
    .map((violation) => {
      const targets = violation.nodes.map((node) => node.target.join(' ')).join(' | ');
      return `- ${violation.id} (${violation.impact ?? 'no impact'}): ${violation.help} at ${targets}`;
    })
    .join('\n');
}

/**
 * Fails, listing each violation (rule id, impact, targets), unless axe finds
 * none in the page as it stands. Wait for the state to check first (a heading,
 * a dialog): axe reads the page once.
 */
export async function expectNoAxeViolations(page: Page, options: AxeCheckOptions = {}): Promise<void> {
  const violations = await axeViolations(page, options);
  if (violations.length === 0) return;
  const where = options.state ? `${options.state} (${page.url()})` : page.url();
  throw new Error(`axe found ${violations.length} violation${violations.length === 1 ? '' : 's'} on ${where}:\n${describeViolations(violations)}`);
}
