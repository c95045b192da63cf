import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AUDIT_GENESIS_HASH, auditHashInput, type AuditEvent, type AuditQuery } from '@phr/shared-types';
import { sha256HexOfText } from '../../crypto/sha256.js';
import { checkChainSinceCheckpoint, judgeShownRows, type ChainReader } from './audit-checkpoint.js';

const userId = randomUUID();
const PAGE_SIZE = 50;

/** A chain of `count` rows of the account, each timed as `timeOf(seq)` says (ms after an origin). */
async function chainOf(count: number, timeOf: (seq: number) => number): Promise<AuditEvent[]> {
  const rows: AuditEvent[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const fields = {
      subjectId: userId,
      seq,
      occurredAt: new Date(Date.UTC(2026, 11, 7) + timeOf(seq)).toISOString(),
      actorId: userId,
      actorRole: 'patient' as const,
      action: 'session.login' as const,
      outcome: 'allow' as const,
      reason: null,
      recordId: null,
      consentId: null,
      ip: null,
      userAgent: null,
      requestId: null,
    };
    const hash = await sha256HexOfText(auditHashInput(prevHash, fields));
    rows.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  return rows;
}

/** GET /audit's first page: newest first by (time, subject, seq), `PAGE_SIZE` rows; `isCut` when more follow. */
function firstPage(rows: readonly AuditEvent[]): { shown: AuditEvent[]; isCut: boolean } {
  const ordered = [...rows].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt) || b.seq - a.seq);
  return { shown: ordered.slice(0, PAGE_SIZE), isCut: ordered.length > PAGE_SIZE };
}

/**
 * GET /audit?afterSeq= over `rows` (what a server holds, or chooses to show), in pages with a
 * cursor, recording what was asked; the head is the last row's.
 */
function chainReader(rows: readonly AuditEvent[]): { chain: ChainReader; asked: number[]; limits: number[] } {
  const asked: number[] = [];
  const limits: number[] = [];
  const chain: ChainReader = {
    list: async (query: AuditQuery) => {
      asked.push(query.afterSeq ?? -1);
      limits.push(query.limit ?? 50);
      const from = query.cursor === undefined ? (query.afterSeq ?? 0) : Number(query.cursor);
      const items = rows.filter((row) => row.seq > from).slice(0, query.limit ?? 50);
      const isLast = items.length === 0 || items.at(-1) === rows.at(-1);
      return { items, nextCursor: isLast ? null : String(items.at(-1)?.seq) };
    },
    head: async () => {
      const last = rows.at(-1);
      return { subjectId: userId, seq: last?.seq ?? 0, hash: last?.hash ?? AUDIT_GENESIS_HASH };
    },
  };
  return { chain, asked, limits };
}

// 60 rows a second apart, except the 12th, timed before the 10th: its request took its time first
// and appended last. Newest first, the first page ends with the 11th and the 10th; the 12th is next.
const inverted = (seq: number) => (seq === 12 ? 9_500 : seq * 1_000);

describe('judgeShownRows: the rows a page of the whole trail shows', () => {
  it('accepts a page cut between rows appended in another order than their times, with the row between verified on this visit', async () => {
    const rows = await chainOf(60, inverted);
    const { shown, isCut } = firstPage(rows);
    expect(shown.map((row) => row.seq).slice(-2)).toEqual([11, 10]);
    const { chain, asked } = chainReader(rows);
    expect(await judgeShownRows(shown, userId, rows, { isCut, chain })).toBeNull();
    expect(asked).toEqual([]);
  });

  it('reads the row between from the chain when this visit did not verify it, and accepts it on a later page', async () => {
    const rows = await chainOf(60, inverted);
    const { shown, isCut } = firstPage(rows);
    const { chain, asked, limits } = chainReader(rows);
    expect(await judgeShownRows(shown, userId, rows.slice(40), { isCut, chain })).toBeNull();
    expect(asked).toEqual([11]);
    // One row is wanted, and one is asked for: a gap costs the server the rows in it, not a page.
    expect(limits).toEqual([1]);
  });

  it('names the row between as missing when no page follows, or when it sorts before the page’s last row', async () => {
    const rows = await chainOf(60, inverted);
    const { shown } = firstPage(rows);
    expect(await judgeShownRows(shown, userId, [], { isCut: false, chain: chainReader(rows).chain })).toEqual({
      isIntact: false,
      firstBadSeq: 12,
      problem: 'entry 12 is missing',
    });
    // The 11th belongs on the first page: a server that leaves it out there is caught, whatever its chain says.
    const withoutEleventh = shown.filter((row) => row.seq !== 11);
    expect(await judgeShownRows(withoutEleventh, userId, [], { isCut: true, chain: chainReader(rows).chain })).toEqual({
      isIntact: false,
      firstBadSeq: 11,
      problem: 'entry 11 is missing',
    });
  });

  it('names a row between that the chain leaves out, or that was changed', async () => {
    const rows = await chainOf(60, inverted);
    const { shown, isCut } = firstPage(rows);
    const dropped = rows.filter((row) => row.seq !== 12);
    expect(await judgeShownRows(shown, userId, [], { isCut, chain: chainReader(dropped).chain })).toEqual({ isIntact: false, firstBadSeq: 12, problem: 'entry 12 is missing' });
    const changed = rows.map((row) => (row.seq === 12 ? { ...row, reason: 'nothing to see here' } : row));
    expect(await judgeShownRows(shown, userId, [], { isCut, chain: chainReader(changed).chain })).toEqual({
      isIntact: false,
      firstBadSeq: 12,
      problem: 'entry 12 does not continue the chain before it: it was changed',
    });
  });

  it('checks no gap for a filtered page, and still each row shown', async () => {
    const rows = await chainOf(60, (seq) => seq * 1_000);
    const everyOther = rows.filter((row) => row.seq % 2 === 0);
    expect(await judgeShownRows(everyOther, userId, rows)).toBeNull();
    const tampered = everyOther.map((row) => (row.seq === 30 ? { ...row, reason: 'nothing to see here' } : row));
    expect(await judgeShownRows(tampered, userId, rows)).toEqual({ isIntact: false, firstBadSeq: 30, problem: 'entry 30 does not continue the chain before it: it was changed' });
  });
});

describe('checkChainSinceCheckpoint: a visit reads what was added since the kept entry', () => {
  it('asks for the rows from the kept entry to the head and no more, in pages of at most 200', async () => {
    const rows = await chainOf(460, (seq) => seq * 1_000);
    const kept = rows[454];
    const { chain, limits } = chainReader(rows);
    const check = await checkChainSinceCheckpoint(chain, userId, { sequence: kept.seq, hash: kept.hash });
    expect(check.verdict).toEqual({ isIntact: true, head: { sequence: 460, hash: rows[459].hash } });
    expect(check.rows.map((row) => row.seq)).toEqual([455, 456, 457, 458, 459, 460]);
    expect(limits).toEqual([6]);

    const fromStart = chainReader(rows);
    expect((await checkChainSinceCheckpoint(fromStart.chain, userId, null)).verdict.isIntact).toBe(true);
    expect(fromStart.limits).toEqual([200, 200, 60]);
  });
});
