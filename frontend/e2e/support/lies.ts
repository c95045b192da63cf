/**
 * The lies the harness tells (support/lying-server.ts), each as a server that
 * controls its answers and holds its own keys would tell it: consistent
 * across every route that shows the same fact, and with valid signatures and
 * recomputed hashes where the server could make them.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  auditHashInput,
  AUDIT_GENESIS_HASH,
  KEY_LOG_MAX_LEAVES_PER_PAGE,
  type AuditEvent,
  type AuditHead,
  type AuditPage,
  type DoctorList,
  type KeyBindingProof,
  type KeyLogLeaves,
  type MyKeys,
  type PreloginResponse,
  type PresignUploadResponse,
  type PublicKeyResponse,
  type RecordPage,
  type SessionResponse,
  type SignedTreeHead,
} from '@phr/shared-types';
import { TestKeyLog } from '../../src/crypto/testing/key-log.js';
import type { Exchange, Lie } from './lying-server.js';

/** A key the attacker holds the private half of. */
export interface AttackerKey {
  publicKey: string;
  fingerprint: string;
}

export function attackerKey(): AttackerKey {
  const spki = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ type: 'spki', format: 'der' });
  return { publicKey: spki.toString('base64url'), fingerprint: createHash('sha256').update(spki).digest('hex') };
}

/** Where the API shows an account's public key. */
export type KeyPlace = 'public-key route' | 'doctor search' | 'key directory' | 'presign answer';

/**
 * The account's key swapped for the attacker's where named. In the key
 * directory the binding's key is swapped in place (the server without the
 * log key, or not bothering): its inclusion proof no longer holds.
 */
export function swapKey(userId: string, key: AttackerKey, places: KeyPlace[]): Lie[] {
  const isTheAccount = (match: RegExpMatchArray) => match[1].toLowerCase() === userId.toLowerCase();
  const lies: Lie[] = [];
  if (places.includes('public-key route')) {
    lies.push({
      method: 'GET',
      path: /^\/users\/([0-9a-f-]+)\/public-key$/i,
      tell: ({ body }, match) => (isTheAccount(match) ? { ...(body as PublicKeyResponse), ...key } : body),
    });
  }
  if (places.includes('doctor search')) {
    lies.push({
      method: 'POST',
      path: /^\/doctors\/search$/,
      tell: ({ body }) => {
        const list = body as DoctorList;
        return { ...list, items: list.items.map((item) => (item.id === userId ? { ...item, ...key } : item)) };
      },
    });
  }
  if (places.includes('presign answer')) {
    // The doctors a new upload must be wrapped for come with the keys the server holds for them.
    lies.push({
      method: 'POST',
      path: /^\/records\/presign$/,
      tell: ({ body }) => {
        const answer = body as PresignUploadResponse;
        return { ...answer, coveringDoctors: answer.coveringDoctors.map((doctor) => (doctor.id === userId ? { ...doctor, publicKey: key.publicKey } : doctor)) };
      },
    });
  }
  if (places.includes('key directory')) {
    lies.push({
      method: 'GET',
      path: /^\/key-directory\/bindings\/([0-9a-f-]+)$/i,
      tell: ({ body }, match) => {
        const proof = body as KeyBindingProof;
        return isTheAccount(match) ? { ...proof, binding: { ...proof.binding, ...key } } : proof;
      },
    });
  }
  return lies;
}

/**
 * A doctor the patient never shared with named among the doctors a new upload must be wrapped
 * for, with the doctor's real key (it proves in the key directory): a server that wants a copy
 * of every new file for a doctor of its choosing.
 */
export function addCoveringDoctor(doctor: { id: string; displayName: string; publicKey: string }): Lie[] {
  return [
    {
      method: 'POST',
      path: /^\/records\/presign$/,
      tell: ({ body }) => {
        const answer = body as PresignUploadResponse;
        return { ...answer, coveringDoctors: [...answer.coveringDoctors, doctor] };
      },
    },
  ];
}

/**
 * A record of the patient's from outside a folder, added to the first page of that folder's
 * records in use, so that a share of the folder would wrap its key for the doctor too: as the
 * record stands (its own folder stated), or, as a consistent liar, stating the folder asked for.
 */
export function listInFolder(recordId: string, options: { statesFolder: boolean }): Lie[] {
  return [
    {
      method: 'GET',
      path: /^\/records$/,
      tell: async ({ body, query, ask }) => {
        const page = body as RecordPage;
        const folderId = query.get('folderId');
        if (!folderId || query.has('cursor') || query.get('view') === 'trash') return page;
        const added = (await ask<RecordPage>(`/records?ids=${recordId}&limit=1`)).items.map((record) => (options.statesFolder ? { ...record, folderId } : record));
        return { ...page, items: [...page.items, ...added] };
      },
    },
  ];
}

/** Every leaf of the real log up to `treeSize`, read with the browser's credentials. */
async function realLeaves(exchange: Exchange, treeSize: number): Promise<KeyLogLeaves['items']> {
  const items: KeyLogLeaves['items'] = [];
  while (items.length < treeSize) {
    const end = Math.min(treeSize, items.length + KEY_LOG_MAX_LEAVES_PER_PAGE);
    items.push(...(await exchange.ask<KeyLogLeaves>(`/key-directory/leaves?start=${items.length}&end=${end}`)).items);
  }
  return items;
}

/** The log key of the stack, which a lying server holds (the browser suite's global setup exposes it). */
async function withLogKey(): Promise<TestKeyLog> {
  const signingKey = process.env.E2E_KEY_LOG_SIGNING_KEY;
  const publicKey = process.env.E2E_KEY_LOG_PUBLIC_KEY;
  if (!signingKey || !publicKey) throw new Error('E2E_KEY_LOG_SIGNING_KEY and E2E_KEY_LOG_PUBLIC_KEY are not set: run the browser suite through Jest');
  return TestKeyLog.fromSigningKey(signingKey, publicKey);
}

/**
 * The key directory served from a log of the server's own making, signed
 * with the real log key: made once, at the first answer it changes, from the
 * real log as it stands then (through `build`), and served for every head,
 * binding and consistency proof from then on.
 */
function serveForgedLog(build: (exchange: Exchange, realHead: SignedTreeHead) => Promise<TestKeyLog>): Lie[] {
  let forged: Promise<TestKeyLog> | null = null;
  const log = (exchange: Exchange) => {
    forged ??= exchange.ask<SignedTreeHead>('/key-directory/head').then((head) => build(exchange, head));
    return forged;
  };
  const heads = new Map<number, Promise<SignedTreeHead>>();
  // One head per size, as the real log keeps: the same size always gives the same head.
  const headOf = (forgedLog: TestKeyLog, size: number) => {
    if (!heads.has(size)) heads.set(size, forgedLog.head(size));
    return heads.get(size) as Promise<SignedTreeHead>;
  };
  return [
    { method: 'GET', path: /^\/key-directory\/head$/, tell: async (exchange) => headOf(await log(exchange), (await log(exchange)).size) },
    {
      method: 'GET',
      path: /^\/key-directory\/bindings\/([0-9a-f-]+)$/i,
      // The real log has no head of the forged size: its answer was an error.
      status: 200,
      tell: async (exchange, match) => {
        const forgedLog = await log(exchange);
        const size = Math.min(Number(exchange.query.get('treeSize') ?? forgedLog.size), forgedLog.size);
        return forgedLog.bindingProof(match[1].toLowerCase(), size, await headOf(forgedLog, size));
      },
    },
    {
      method: 'GET',
      path: /^\/key-directory\/consistency$/,
      status: 200,
      tell: async (exchange) => {
        const forgedLog = await log(exchange);
        return forgedLog.consistency(Number(exchange.query.get('from')), Math.min(Number(exchange.query.get('to')), forgedLog.size));
      },
    },
    {
      method: 'GET',
      path: /^\/key-directory\/leaves$/,
      status: 200,
      tell: async (exchange) => (await log(exchange)).leavesBetween(Number(exchange.query.get('start')), Number(exchange.query.get('end'))),
    },
    {
      method: 'GET',
      path: /^\/key-directory\/frontier$/,
      status: 200,
      tell: async (exchange) => (await log(exchange)).frontier(Number(exchange.query.get('treeSize'))),
    },
  ];
}

/**
 * The real log, extended by one binding of `userId` to the attacker's key,
 * signed with the real log key: a valid, consistent log that shows everyone
 * else a false key for the account. Only the account's own browser (and the
 * patient's memory of the numbers) can tell. The doctor search and the
 * public-key route serve the same false key.
 */
export function bindFalseKey(userId: string, role: 'patient' | 'doctor', key: AttackerKey): Lie[] {
  return [
    ...swapKey(userId, key, ['public-key route', 'doctor search']),
    ...serveForgedLog(async (exchange, realHead) => {
      const forged = await withLogKey();
      for (const leaf of await realLeaves(exchange, realHead.treeSize)) forged.append(leaf);
      forged.append({ userId, role, ...key, boundAt: new Date().toISOString() });
      return forged;
    }),
  ];
}

/**
 * The real log, extended by a binding of `userId` to the attacker's key and
 * then by a binding back to the account's real key, signed with the real log
 * key: whoever looked in between was shown the attacker's key, and the
 * account's latest binding is its own again. Only a check of every entry
 * since the account's last visit finds it.
 */
export function bindFalseKeyForAWhile(userId: string, role: 'patient' | 'doctor', key: AttackerKey): Lie[] {
  return serveForgedLog(async (exchange, realHead) => {
    const forged = await withLogKey();
    const leaves = await realLeaves(exchange, realHead.treeSize);
    for (const leaf of leaves) forged.append(leaf);
    const real = leaves.findLast((leaf) => leaf.userId === userId.toLowerCase());
    if (!real) throw new Error(`The real log has no binding for ${userId}`);
    forged.append({ userId, role, ...key, boundAt: new Date(Date.now() - 1000).toISOString() });
    forged.append({ userId, role, publicKey: real.publicKey, fingerprint: real.fingerprint, boundAt: new Date().toISOString() });
    return forged;
  });
}

/**
 * A fork signed with the real log key: the real log with one existing leaf
 * rewritten (leaf `index`'s time), plus one more leaf so it looks newer. It is
 * a valid log of its own; it does not extend the log the browser kept.
 */
export function forkLog(index: number): Lie[] {
  return serveForgedLog(async (exchange, realHead) => {
    const forged = await withLogKey();
    const leaves = await realLeaves(exchange, realHead.treeSize);
    for (const leaf of leaves) forged.append(leaf.leafIndex === index ? { ...leaf, boundAt: new Date(0).toISOString() } : leaf);
    forged.append({ ...leaves[leaves.length - 1], boundAt: new Date().toISOString() });
    return forged;
  });
}

/** One tree head served for the latest, as it is (an older, genuine one) or changed. */
export function serveTreeHead(head: SignedTreeHead): Lie {
  return { method: 'GET', path: /^\/key-directory\/head$/, tell: () => head };
}

/** Weaker KDF parameters in every prelogin answer: a cheaper offline guess, if the browser went along. */
export function lowerKdf(iterations: number): Lie {
  return { method: 'POST', path: /^\/auth\/prelogin$/, tell: ({ body }) => ({ kdf: { ...(body as PreloginResponse).kdf, iterations } }) };
}

/** The signed-in account's own public key swapped in the sign-in answer. */
export function swapOwnKeyAtSignIn(key: AttackerKey): Lie {
  return {
    method: 'POST',
    path: /^\/auth\/login$/,
    tell: ({ body }) => {
      const session = body as SessionResponse;
      const keys: MyKeys = { ...session.keys, ...key };
      return { ...session, keys, user: { ...session.user, fingerprint: key.fingerprint } };
    },
  };
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The subject's whole chain, oldest first, as the real API serves it. */
async function realChain(exchange: Exchange, subjectId: string): Promise<AuditEvent[]> {
  const rows: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const page: AuditPage = await exchange.ask<AuditPage>(`/audit?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    rows.push(...page.items.filter((row) => row.subjectId === subjectId));
    cursor = page.nextCursor;
  } while (cursor);
  return rows.sort((a, b) => a.seq - b.seq);
}

/**
 * Rewrites the subject's trail in every audit answer (pages and the head):
 * `rewrite` gets the real chain and answers the chain to show. The head
 * follows the shown chain's last row.
 */
function rewriteTrail(subjectId: string, rewrite: (chain: AuditEvent[]) => AuditEvent[]): Lie[] {
  const shown = async (exchange: Exchange) => rewrite(await realChain(exchange, subjectId));
  return [
    {
      method: 'GET',
      path: /^\/audit$/,
      tell: async (exchange) => {
        const page = exchange.body as AuditPage;
        const bySeq = new Map((await shown(exchange)).map((row) => [row.seq, row]));
        const items = page.items.flatMap((row) => (row.subjectId !== subjectId ? [row] : bySeq.has(row.seq) ? [bySeq.get(row.seq) as AuditEvent] : []));
        return { ...page, items };
      },
    },
    {
      method: 'GET',
      path: /^\/audit\/head$/,
      tell: async (exchange) => {
        const head = exchange.body as AuditHead;
        if (head.subjectId !== subjectId) return head;
        const last = (await shown(exchange)).at(-1);
        return { ...head, seq: last?.seq ?? 0, hash: last?.hash ?? AUDIT_GENESIS_HASH };
      },
    },
  ];
}

/**
 * Entry `seq` of the subject's trail changed (its reason). With
 * `recomputeHashes`, as a server that rewrites history would: every hash from
 * that entry on recomputed, so the chain holds from genesis again.
 */
export function rewriteAuditEntry(subjectId: string, seq: number, options: { recomputeHashes: boolean }): Lie[] {
  return rewriteTrail(subjectId, (chain) => {
    let prevHash = AUDIT_GENESIS_HASH;
    return chain.map((row) => {
      const changed = row.seq === seq ? { ...row, reason: 'nothing to see here' } : row;
      if (!options.recomputeHashes || row.seq < seq) {
        prevHash = row.hash;
        return changed;
      }
      const { hash: _hash, prevHash: _prev, ...fields } = changed;
      const rehashed = { ...changed, prevHash, hash: sha256Hex(auditHashInput(prevHash, fields)) };
      prevHash = rehashed.hash;
      return rehashed;
    });
  });
}

/** The subject's trail cut after entry `keep`, and the head moved back to it: every hash still holds. */
export function truncateAudit(subjectId: string, keep: number): Lie[] {
  return rewriteTrail(subjectId, (chain) => chain.filter((row) => row.seq <= keep));
}

/** Entry `seq` of the subject's trail left out, the rest as it is. */
export function dropAuditEntry(subjectId: string, seq: number): Lie[] {
  return rewriteTrail(subjectId, (chain) => chain.filter((row) => row.seq !== seq));
}
