/**
 * The signed-in person's own audit chain, fetched whole and recomputed in
 * the browser (DESIGN 7): the head first, so rows written while the pages
 * are read only extend the chain that is checked.
 */
import { firstBrokenAuditRow, type AuditEvent, type AuditHead } from '@phr/shared-types';
import type { AuditApi } from '../../api/audit.js';
import { sha256HexOfText } from '../../crypto/sha256.js';
import { everyPage } from '../../api/every-page.js';

export interface VerifiedTrail {
  head: AuditHead;
  /** Every row of the subject's chain, oldest first. */
  events: AuditEvent[];
  /** The seq of the first row that does not hold (or of the head, when the rows do not reach it); null when all hold. */
  firstBrokenSeq: number | null;
}

/** The largest page GET /audit serves. */
const PAGE_LIMIT = 200;

export async function fetchVerifiedTrail(audit: AuditApi, subjectId: string): Promise<VerifiedTrail> {
  const head = await audit.head();
  const events = (await everyPage((cursor) => audit.list({ cursor, limit: PAGE_LIMIT }))).filter((row) => row.subjectId === subjectId);
  events.sort((a, b) => a.seq - b.seq);
  const broken = await firstBrokenAuditRow(events, sha256HexOfText);
  const reachesHead = head.seq === 0 || events[head.seq - 1]?.hash === head.hash;
  return { head, events, firstBrokenSeq: broken ?? (reachesHead ? null : head.seq) };
}
