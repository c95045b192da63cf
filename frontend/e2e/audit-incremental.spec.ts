/**
 * Issue 14: the portal verifies the account's audit chain from the head it
 * kept (sealed client state), fetching only the kept entry and the rows after
 * it (GET /audit?afterSeq=), not the whole trail at every visit; and a server
 * that rewrites an entry the browser verified before is still caught.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { canonicalAuditRow, type AuditPage } from '@phr/shared-types';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { textOf } from './support/eventually.js';
import { dropAuditEntry, rewriteAuditEntry } from './support/lies.js';
import { LyingServer } from './support/lying-server.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, newPerson, register, signIn, type Person } from './support/portal.js';

const STEPS_TIMEOUT_MS = 240_000;

/** The seqs of the chain rows (GET /audit?afterSeq=) one page fetched, request by request. */
interface ChainReads {
  requests: number;
  seqs: number[];
  /**
   * Bumped by `restart`: a body that arrives (is parsed) after it belongs to a response that came
   * before it, and is not counted in the new round (a busy machine parses late).
   */
  round: number;
}

/** Counts from now on only: what was fetched before is forgotten, even if its body is parsed later. */
function restart(reads: ChainReads): void {
  reads.seqs.length = 0;
  reads.round += 1;
}

describe('the portal verifies its audit chain incrementally (issue 14)', () => {
  let liar: LyingServer;
  const browsers: BrowserSession[] = [];

  beforeAll(async () => {
    liar = await LyingServer.start();
  });
  afterEach(async () => {
    liar.beHonest();
    await Promise.all(browsers.splice(0).map((browser) => browser.close()));
  });
  afterAll(async () => {
    await liar?.close();
  });

  /** A fresh Chromium through the lying server, recording the chain rows it fetches; `close` ends it before the test does. */
  async function newPage(): Promise<{ page: Page; reads: ChainReads; close(): Promise<void> }> {
    const browser = await openBrowser({ proxyUrl: liar.proxyUrl });
    browsers.push(browser);
    const close = async () => {
      browsers.splice(browsers.indexOf(browser), 1);
      await browser.close();
    };
    const reads: ChainReads = { requests: 0, seqs: [], round: 0 };
    browser.page.on('response', (response) => {
      const url = new URL(response.url());
      if (!url.pathname.endsWith('/api/audit') || !url.searchParams.has('afterSeq')) return;
      reads.requests++;
      const round = reads.round;
      void response
        .json()
        .then((body: AuditPage) => {
          if (round === reads.round) reads.seqs.push(...body.items.map((row) => row.seq));
        })
        .catch(() => undefined);
    });
    return { page: browser.page, reads, close };
  }

  const checksDone = (page: Page) => textOf(page.getByTestId('trust-status'), 'This browser checked your key, the key directory and your audit trail.');
  const headOf = (userId: string) =>
    withDatabase(async (db) => Number((await db.query<{ seq: string }>('SELECT seq FROM audit_chain_heads WHERE subject_id = $1', [userId])).rows[0]?.seq ?? 0));
  const idOf = (email: string) => withDatabase(async (db) => (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0].id);

  async function signInAgain(person: Person): Promise<{ page: Page; reads: ChainReads; close(): Promise<void> }> {
    const fresh = await newPage();
    await signIn(fresh.page, person.email, person.password);
    await checksDone(fresh.page);
    return fresh;
  }

  /**
   * A sign-in row appended to the account's chain at `occurredAt`, as audit_append appends the API's:
   * the canonical text around the seq, which the function fills in and hashes.
   */
  const appendAt = (userId: string, occurredAt: string) =>
    withDatabase(async (db) => {
      const row = {
        subjectId: userId,
        seq: 0,
        occurredAt,
        actorId: userId,
        actorRole: 'patient' as const,
        action: 'session.login' as const,
        outcome: 'allow' as const,
        reason: null,
        recordId: null,
        consentId: null,
        ip: '127.0.0.1',
        userAgent: 'audit-incremental.spec',
        requestId: randomUUID(),
      };
      const beforeSeq = JSON.stringify([1, userId]).slice(0, -1);
      const afterSeq = canonicalAuditRow(row).slice(`${beforeSeq},0,`.length);
      await db.query(
        `SELECT audit_append($1::uuid[], $2::text[], $3::text[], $4::timestamptz, $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[], $11::uuid[], $12::text[], $13::text[], $14::text[])`,
        [[userId], [beforeSeq], [afterSeq], occurredAt, [userId], [row.actorRole], [row.action], [row.outcome], [null], [null], [null], [row.ip], [row.userAgent], [row.requestId]],
      );
    });
  const trustAlerts = (page: Page) => page.getByTestId('trust-alert').evaluateAll((alerts) => alerts.map((alert) => `${alert.getAttribute('data-kind')}: ${alert.textContent}`));

  /** A new patient, registered in a browser of its own, whose sign-in checks are done. */
  async function registered(): Promise<{ person: Person; first: Awaited<ReturnType<typeof newPage>>; userId: string }> {
    const person = newPerson('patient');
    const first = await newPage();
    await confirmRecoveryCode(first.page, await register(first.page, person));
    await checksDone(first.page);
    return { person, first, userId: await idOf(person.email) };
  }

  async function openAuditPage(page: Page): Promise<void> {
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await textOf(page.getByTestId('chain-status'), /^Chain (verified|broken)/);
  }

  it('fetches only the rows after the head it verified before, at sign-in and on the audit page', async () => {
    const { person, first, userId } = await registered();
    // The first check of a new account reads its chain from entry 1.
    expect(first.reads.seqs).toContain(1);
    await first.close();
    // A few more sign-ins grow the trail; each verifies from the head the one before kept. Each
    // browser is closed once done, so at most two portals run at once (a full run on the busy
    // two cores once timed out on the fifth's first load of the sign-in page, the other four open).
    for (let visit = 0; visit < 3; visit++) await (await signInAgain(person)).close();

    const trailBefore = await headOf(userId);
    const later = await signInAgain(person);
    const signInSeqs = [...later.reads.seqs];
    // Only the kept entry and those after it: never the start of the trail.
    expect(Math.min(...signInSeqs)).toBeGreaterThan(1);
    expect(signInSeqs.length).toBeLessThan(trailBefore);

    restart(later.reads);
    await openAuditPage(later.page);
    await textOf(later.page.getByTestId('chain-status'), /^Chain verified in this browser: \d+ entries, unbroken$/);
    // The audit page starts where the sign-in check stopped: the rows since, and the kept one.
    expect(Math.min(...later.reads.seqs)).toBeGreaterThanOrEqual(Math.max(...signInSeqs) - 1);
    expect(later.reads.seqs.length).toBeLessThan(trailBefore / 2);
    expect(await headOf(userId)).toBeGreaterThan(trailBefore);
  }, STEPS_TIMEOUT_MS);

  it('a page cut between rows appended in another order than their times is no alarm; a row the server leaves out there is', async () => {
    const { person, first, userId } = await registered();
    // 60 rows an hour ahead (an API instance whose clock runs ahead), a second apart, except that
    // the 12th was timed before the 10th and 11th: its request took its time first and appended last.
    // The audit page's 50 rows, newest first, end with the 11th and the 10th; the 12th, between two
    // rows shown, is on the next page.
    const head = await headOf(userId);
    const base = Date.now() + 3_600_000;
    for (let index = 1; index <= 60; index++) await appendAt(userId, new Date(base + (index === 12 ? 9_500 : index * 1_000)).toISOString());
    const shown = first.page.getByTestId('audit-row');
    await openAuditPage(first.page);
    await textOf(first.page.getByTestId('chain-status'), /^Chain verified in this browser: \d+ entries, unbroken$/);
    expect(await shown.count()).toBe(50);
    expect(await trustAlerts(first.page)).toEqual([]);
    await first.close();

    // A later visit did not verify those rows again: the one between is read from the chain.
    const later = await signInAgain(person);
    restart(later.reads);
    await openAuditPage(later.page);
    await textOf(later.page.getByTestId('chain-status'), /^Chain verified in this browser: \d+ entries, unbroken$/);
    expect(later.reads.seqs).toContain(head + 12);
    expect(await trustAlerts(later.page)).toEqual([]);
    await later.close();

    // A server that leaves the 11th out (it belongs on the first page) is caught.
    liar.tell(...dropAuditEntry(userId, head + 11));
    const lied = await signInAgain(person);
    await openAuditPage(lied.page);
    await textOf(lied.page.getByTestId('chain-status'), `Chain broken at entry ${head + 11}: entry ${head + 11} is missing`);
  }, STEPS_TIMEOUT_MS);

  it('catches an entry it verified before that the server rewrote, with or without recomputed hashes', async () => {
    const { person, first, userId } = await registered();
    await openAuditPage(first.page);
    await textOf(first.page.getByTestId('chain-status'), /^Chain verified in this browser/);

    // Entry 2 lies below the head kept: the next check fetches only what came after it.
    liar.tell(...rewriteAuditEntry(userId, 2, { recomputeHashes: false }));
    const naive = await signInAgain(person);
    await openAuditPage(naive.page);
    await textOf(naive.page.getByTestId('chain-status'), 'Chain broken at entry 2: entry 2 does not continue the chain before it: it was changed');
    await expectNoAxeViolations(naive.page, { state: 'audit trail, chain broken' });

    liar.beHonest();
    liar.tell(...rewriteAuditEntry(userId, 2, { recomputeHashes: true }));
    // The kept head is read at sign-in: here it is held back until the audit page has opened and asked
    // for the trail. The page's check must wait for it, not verify from genesis meanwhile (seen in a full run).
    const careful = await newPage();
    let releaseKept = () => {};
    const keptHeld = new Promise<void>((resolve) => (releaseKept = resolve));
    await careful.page.route('**/api/me/client-state', async (route) => {
      if (route.request().method() === 'GET') await keptHeld;
      await route.continue();
    });
    await signIn(careful.page, person.email, person.password);
    const trailAsked = careful.page.waitForRequest((request) => new URL(request.url()).pathname === '/api/audit' && !new URL(request.url()).searchParams.has('afterSeq'));
    await careful.page.getByRole('link', { name: 'Audit trail' }).click();
    await trailAsked;
    releaseKept();
    await textOf(careful.page.getByTestId('chain-status'), /^Chain broken at entry \d+: entry \d+ is not the entry this browser verified before/);
  }, STEPS_TIMEOUT_MS);
});
