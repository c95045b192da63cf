/**
 * The audit checkpoint (DESIGN 7; docs/protocol.md "Client-side checks"): the
 * browser keeps the last head of the account's chain it verified (sequence
 * and hash, in the client state) and at each visit checks that the chain the
 * server now shows extends it. A server that recomputes the hashes after
 * rewriting, dropping or cutting rows still shows a chain that holds from
 * genesis; it cannot show one that holds from the kept head.
 */
import { AUDIT_GENESIS_HASH, auditHashInput, firstBrokenAuditRow, type AuditEvent, type AuditHead } from '@phr/shared-types';
import type { AuditApi } from '../../api/audit.js';

/** What the chain check reads: pages in chain order and the head. */
export type ChainReader = Pick<AuditApi, 'list' | 'head'>;
import type { AuditCheckpoint } from '../../crypto/client-state.js';
import { sha256HexOfText } from '../../crypto/sha256.js';

export type TrailVerdict =
  | { isIntact: true; head: AuditCheckpoint }
  | {
      isIntact: false;
      /** The first entry that does not hold (a rewrite with recomputed hashes is named by the kept entry it changed, or an earlier one). */
      firstBadSeq: number;
      /** In words, for the alert and the security event. */
      problem: string;
    };

/**
 * Judges the account's rows (any order, any subset the server sent) against
 * the head it states and the checkpoint kept: every row from the checkpoint
 * (or from the first, with none) to the head must be there, continue the one
 * before it and hash to what it says, and the checkpoint's row must be the one
 * kept.
 */
export async function judgeTrail(rows: readonly AuditEvent[], head: AuditHead, checkpoint: AuditCheckpoint | null): Promise<TrailVerdict> {
  const bySeq = new Map(rows.map((row) => [row.seq, row]));
  let prevHash = AUDIT_GENESIS_HASH;
  let from = 1;
  if (checkpoint && checkpoint.sequence > 0) {
    if (head.seq < checkpoint.sequence) {
      return {
        isIntact: false,
        firstBadSeq: head.seq + 1,
        problem: `the trail now ends at entry ${head.seq}, but this browser verified it up to entry ${checkpoint.sequence}: entries ${head.seq + 1} to ${checkpoint.sequence} were removed`,
      };
    }
    const kept = bySeq.get(checkpoint.sequence);
    if (!kept) return { isIntact: false, firstBadSeq: checkpoint.sequence, problem: `entry ${checkpoint.sequence}, which this browser verified before, is missing` };
    if (kept.hash !== checkpoint.hash) {
      return {
        isIntact: false,
        firstBadSeq: checkpoint.sequence,
        problem: `entry ${checkpoint.sequence} is not the entry this browser verified before: the trail was rewritten at or before it`,
      };
    }
    prevHash = checkpoint.hash;
    from = checkpoint.sequence + 1;
  }
  for (let seq = from; seq <= head.seq; seq++) {
    const row = bySeq.get(seq);
    if (!row) return { isIntact: false, firstBadSeq: seq, problem: `entry ${seq} is missing` };
    const { hash, prevHash: statedPrev, ...fields } = row;
    if (statedPrev !== prevHash || (await sha256HexOfText(auditHashInput(prevHash, fields))) !== hash) {
      return { isIntact: false, firstBadSeq: seq, problem: `entry ${seq} does not continue the chain before it: it was changed` };
    }
    prevHash = hash;
  }
  if (head.seq > 0 && prevHash !== head.hash) return { isIntact: false, firstBadSeq: head.seq, problem: `the chain does not end at the head the server states (entry ${head.seq})` };
  return { isIntact: true, head: { sequence: head.seq, hash: head.hash } };
}

/**
 * When the kept entry no longer matches: the first entry of the whole trail
 * that breaks the chain, if the rewrite left one; otherwise the kept entry
 * stands as the first one known bad.
 */
async function sharpen(verdict: TrailVerdict, rows: readonly AuditEvent[]): Promise<TrailVerdict> {
  if (verdict.isIntact) return verdict;
  const broken = await firstBrokenAuditRow([...rows].sort((a, b) => a.seq - b.seq), sha256HexOfText);
  if (broken === null || broken >= verdict.firstBadSeq) return verdict;
  return { isIntact: false, firstBadSeq: broken, problem: `entry ${broken} does not continue the chain before it: it was changed` };
}

/** The largest page GET /audit serves. */
const PAGE_LIMIT = 200;

/**
 * The account's own chain after `afterSeq`, oldest first, up to `toSeq` (GET /audit?afterSeq=,
 * which reads the caller's own chain in seq order): the rows a visit has not verified yet. Each
 * page asks for no more rows than are still wanted, so a one-row gap costs the server one row.
 */
async function chainRowsAfter(audit: ChainReader, userId: string, afterSeq: number, toSeq: number): Promise<AuditEvent[]> {
  const rows: AuditEvent[] = [];
  let cursor: string | undefined;
  while (afterSeq < toSeq) {
    const readTo = rows.at(-1)?.seq ?? afterSeq;
    const page = await audit.list({ afterSeq, cursor, limit: Math.min(PAGE_LIMIT, Math.max(1, toSeq - readTo)) });
    rows.push(...page.items.filter((row) => row.subjectId === userId));
    cursor = page.nextCursor ?? undefined;
    if (!cursor || (rows.at(-1)?.seq ?? 0) >= toSeq) break;
  }
  return rows;
}

export interface ChainCheck {
  verdict: TrailVerdict;
  head: AuditHead;
  /** The rows this check fetched and verified (or judged), oldest first: the kept entry and those after it. */
  rows: AuditEvent[];
}

/**
 * At a visit: fetches the head, then only the kept entry and the rows after
 * it, and judges them: the kept entry must be the one verified before (a
 * rewrite at or before it, with hashes recomputed, changes it), the rows after
 * it must continue it up to the head. A visit costs the rows added since the
 * last one. When the kept entry does not match, reads the whole chain to name
 * the first bad entry as closely as it can. A checkpoint rolled back (an
 * older client state) only means more rows to verify.
 */
export async function checkChainSinceCheckpoint(audit: ChainReader, userId: string, checkpoint: AuditCheckpoint | null): Promise<ChainCheck> {
  const head = await audit.head();
  const rows = await chainRowsAfter(audit, userId, checkpoint && checkpoint.sequence > 0 ? checkpoint.sequence - 1 : 0, head.seq);
  const verdict = await judgeTrail(rows, head, checkpoint);
  if (verdict.isIntact || !checkpoint || verdict.firstBadSeq !== checkpoint.sequence) return { verdict, head, rows };
  return { verdict: await sharpen(verdict, await chainRowsAfter(audit, userId, 0, head.seq)), head, rows };
}

export async function checkTrailSinceCheckpoint(audit: ChainReader, userId: string, checkpoint: AuditCheckpoint | null): Promise<TrailVerdict> {
  return (await checkChainSinceCheckpoint(audit, userId, checkpoint)).verdict;
}

/** A page of the whole trail (no filter), to check that none of the account's own rows is missing from it. */
export interface WholeTrailPage {
  /** Whether the server says more rows follow (a next page): rows that sort after the last one shown are on it. */
  isCut: boolean;
  /** Where the rows a page leaves out between two of its own are read in chain order, to see where they sort. */
  chain: ChainReader;
}

/**
 * The account's own rows a page of the trail shows (newest first, any filter): each must hash to
 * what it says and be the row verified, when this visit verified it; consecutive ones must link.
 * So an entry older than the kept one, which the visit did not fetch again, is not shown changed
 * while the chain reads as verified. With no filter (`wholeTrail`), none may be missing between
 * two shown: a page is ordered by time, and a row's time is taken before its transaction appends
 * it to the chain, so two requests at once can append their rows in the other order; the rows
 * between two shown are then read in chain order, must link them, and must sort after the
 * page's last row, on a page still to come.
 */
export async function judgeShownRows(shown: readonly AuditEvent[], userId: string, verified: readonly AuditEvent[], wholeTrail?: WholeTrailPage): Promise<TrailVerdict | null> {
  const known = new Map(verified.map((row) => [row.seq, row]));
  const own = shown.filter((row) => row.subjectId === userId).sort((a, b) => a.seq - b.seq);
  const last = shown.at(-1);
  for (const [index, row] of own.entries()) {
    const { hash, prevHash, ...fields } = row;
    const before = own[index - 1];
    if (wholeTrail && last && before && row.seq > before.seq + 1) {
      const gap = await judgeGap(before, await rowsBetween(before, row, userId, known, wholeTrail.chain), row, (between) => wholeTrail.isCut && sortsAfter(between, last));
      if (gap) return gap;
    }
    const isLinked = row.seq === 1 ? prevHash === AUDIT_GENESIS_HASH : !before || before.seq !== row.seq - 1 || before.hash === prevHash;
    const isKnown = !known.has(row.seq) || known.get(row.seq)?.hash === hash;
    if (!isLinked || !isKnown || (await sha256HexOfText(auditHashInput(prevHash, fields))) !== hash) {
      return { isIntact: false, firstBadSeq: row.seq, problem: `entry ${row.seq} does not continue the chain before it: it was changed` };
    }
  }
  return null;
}

/** The own rows after `before` and before `after`: those this visit verified, or else read in chain order. */
async function rowsBetween(before: AuditEvent, after: AuditEvent, userId: string, known: ReadonlyMap<number, AuditEvent>, chain: ChainReader): Promise<AuditEvent[]> {
  const seqs = Array.from({ length: after.seq - before.seq - 1 }, (_, index) => before.seq + 1 + index);
  const fromVisit = seqs.map((seq) => known.get(seq));
  if (fromVisit.every((row) => row !== undefined)) return fromVisit;
  return (await chainRowsAfter(chain, userId, before.seq, after.seq - 1)).filter((row) => row.seq > before.seq && row.seq < after.seq);
}

/**
 * The rows between two shown must all be there, hash to what they say and link `before` to `after`,
 * and each must belong to a later page (`isOnLaterPage`); null when they do.
 */
async function judgeGap(before: AuditEvent, between: readonly AuditEvent[], after: AuditEvent, isOnLaterPage: (row: AuditEvent) => boolean): Promise<TrailVerdict | null> {
  let previous = before;
  for (const row of between) {
    const { hash, prevHash, ...fields } = row;
    if (row.seq !== previous.seq + 1 || !isOnLaterPage(row)) return { isIntact: false, firstBadSeq: previous.seq + 1, problem: `entry ${previous.seq + 1} is missing` };
    if (prevHash !== previous.hash || (await sha256HexOfText(auditHashInput(prevHash, fields))) !== hash) {
      return { isIntact: false, firstBadSeq: row.seq, problem: `entry ${row.seq} does not continue the chain before it: it was changed` };
    }
    previous = row;
  }
  if (after.seq !== previous.seq + 1) return { isIntact: false, firstBadSeq: previous.seq + 1, problem: `entry ${previous.seq + 1} is missing` };
  if (after.prevHash !== previous.hash) return { isIntact: false, firstBadSeq: after.seq, problem: `entry ${after.seq} does not continue the chain before it: it was changed` };
  return null;
}

/** Whether `row` comes after `last` in a page's order (occurred_at, subject, seq, each descending). */
function sortsAfter(row: AuditEvent, last: AuditEvent): boolean {
  const time = Date.parse(row.occurredAt) - Date.parse(last.occurredAt);
  if (time !== 0) return time < 0;
  if (row.subjectId !== last.subjectId) return row.subjectId < last.subjectId;
  return row.seq < last.seq;
}

/**
 * For a trail already fetched whole (the audit page): first from genesis, so
 * an entry changed without recomputing the hashes after it is named even
 * before the kept head; then against the kept head, which a rewrite that
 * recomputed them, or a cut, cannot pass.
 */
export async function judgeWholeTrail(rows: readonly AuditEvent[], head: AuditHead, checkpoint: AuditCheckpoint | null): Promise<TrailVerdict> {
  const fromGenesis = await judgeTrail(rows, head, null);
  if (!fromGenesis.isIntact) return fromGenesis;
  return judgeTrail(rows, head, checkpoint);
}
