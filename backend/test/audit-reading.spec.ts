import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, firstBrokenAuditRow, ROUTES, type AuditEvent, type AuditHeadQuery, type AuditQuery } from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { firstBrokenRow, sha256Hex } from './support/audit-chain.js';
import { insertAuditor, registerUser, type RegisteredUser } from './support/factories.js';
import { startApiProcess } from './support/api-process.js';
import { testClient, type TestClient } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionTokenFor } from './support/tokens.js';

/** A user agent that is harmless where "," separates cells and a formula where ";" does. */
const SEMICOLON_FORMULA = 'x;=1+2;y';

/** How a spreadsheet splits one CSV line with `separator`: quoted parts are kept whole, unquoted ones split. */
function spreadsheetCells(line: string, separator: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let isQuoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (char === '"' && isQuoted && line[i + 1] === '"') {
      cell += '"';
      i += 1;
    } else if (char === '"') {
      isQuoted = !isQuoted;
    } else if (char === separator && !isQuoted) {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  return [...cells, cell];
}

describe('reading the audit trail (DESIGN 7)', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let doctor: RegisteredUser;
  let auditor: { client: TestClient; token: string; userId: string };
  let sharedRecord: string;
  let privateRecord: string;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    bob = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    const auditorId = await insertAuditor(api.adminQuery);
    auditor = { client: testClient(api.baseUrl), token: await sessionTokenFor(api, auditorId, 'auditor'), userId: auditorId };
    sharedRecord = (await uploadRecord(alice)).summary.id;
    privateRecord = (await uploadRecord(alice)).summary.id;
    await alice.client.send(ROUTES.createConsent, {
      token: alice.token,
      body: { doctorId: doctor.userId, scope: 'record', recordId: sharedRecord, wraps: [{ recordId: sharedRecord, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }] },
    });
    await doctor.client.send(ROUTES.getRecord, { params: { id: sharedRecord }, token: doctor.token });
    await doctor.client.send(ROUTES.getRecord, { params: { id: privateRecord }, token: doctor.token, headers: { 'user-agent': SEMICOLON_FORMULA } });
    await bob.client.send(ROUTES.getRecord, { params: { id: privateRecord }, token: bob.token, headers: { 'user-agent': '=HYPERLINK("http://evil.example")' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  const audit = (user: { client: TestClient; token: string }, query: AuditQuery = {}) => user.client.send(ROUTES.listAudit, { query, token: user.token });
  const head = (user: { client: TestClient; token: string }, query: AuditHeadQuery = {}) => user.client.send(ROUTES.auditHead, { query, token: user.token });
  async function everything(user: { client: TestClient; token: string }, query: AuditQuery = {}): Promise<AuditEvent[]> {
    const rows: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof audit>> = await audit(user, { ...query, cursor: cursor ?? undefined });
      expect(page.status).toBe(200);
      rows.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return rows;
  }

  it('gives a patient their whole trail, newest first, which verifies against the chain head', async () => {
    const rows = await everything(alice, { limit: 3 });
    expect(rows.every((row) => row.subjectId === alice.userId)).toBe(true);
    const times = rows.map((row) => row.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    const chain = [...rows].sort((a, b) => a.seq - b.seq);
    expect(chain[0]).toMatchObject({ seq: 1, action: 'account.register', outcome: 'allow' });
    expect(await firstBrokenAuditRow(chain, sha256Hex)).toBeNull();
    const chainHead = await head(alice);
    expect(chainHead.body).toEqual({ subjectId: alice.userId, seq: chain.length, hash: chain.at(-1)?.hash });
  });

  it('shows the patient who read their records and who was refused, with role, reason, IP and user agent', async () => {
    const reads = await everything(alice, { action: 'record.read', recordId: privateRecord });
    expect(reads.map((row) => [row.actorId, row.actorRole, row.outcome, row.reason])).toEqual([
      [bob.userId, 'patient', 'deny', 'not the owner'],
      [doctor.userId, 'doctor', 'deny', 'no active consent and wrap'],
    ]);
    expect(reads[0]).toMatchObject({ ip: '127.0.0.1', userAgent: '=HYPERLINK("http://evil.example")', requestId: expect.any(String) });
    const denied = await everything(alice, { outcome: 'deny' });
    expect(denied.length).toBeGreaterThanOrEqual(2);
    expect(denied.every((row) => row.outcome === 'deny')).toBe(true);
    expect(await everything(alice, { actorId: doctor.userId, action: 'record.read', outcome: 'allow' })).toHaveLength(1);
  });

  it('filters by date range', async () => {
    const all = await everything(alice);
    const newest = all[0].occurredAt;
    expect(await everything(alice, { from: newest })).toEqual(all.filter((row) => row.occurredAt >= newest));
    expect((await everything(alice, { to: newest })).every((row) => row.occurredAt < newest)).toBe(true);
    expect(await everything(alice, { from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
  });

  it('gives a doctor their own access history and nothing else of the patient’s trail', async () => {
    const rows = await everything(doctor);
    expect(rows.some((row) => row.subjectId === alice.userId && row.recordId === sharedRecord && row.outcome === 'allow')).toBe(true);
    expect(rows.filter((row) => row.subjectId !== doctor.userId).every((row) => row.actorId === doctor.userId)).toBe(true);
  });

  it('gives a doctor’s own actions and own trail with filters and pages that agree with the unpaged rows', async () => {
    const all = await everything(doctor, { limit: 200 });
    expect(await everything(doctor, { limit: 1 })).toEqual(all);
    expect(await everything(doctor, { actorId: doctor.userId, limit: 1 })).toEqual(all.filter((row) => row.actorId === doctor.userId));
    expect(await everything(doctor, { outcome: 'deny', limit: 1 })).toEqual(all.filter((row) => row.outcome === 'deny'));
  });

  it('reads one chain after a seq in chain order (afterSeq), paged, as the portal does from the head it verified', async () => {
    const chain = [...(await everything(alice))].sort((a, b) => a.seq - b.seq);
    const after = async (user: { client: TestClient; token: string }, afterSeq: number, query: AuditQuery = {}): Promise<AuditEvent[]> => {
      const rows: AuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await audit(user, { ...query, afterSeq, cursor, limit: 2 });
        expect(page.status).toBe(200);
        rows.push(...page.body.items);
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      return rows;
    };
    expect(await after(alice, 0)).toEqual(chain);
    expect(await after(alice, 3)).toEqual(chain.slice(3));
    expect(await after(alice, chain.length)).toEqual([]);
    // An auditor names the chain; the auditor's look is itself a row of it, after those read.
    expect((await after(auditor, 1, { subjectId: alice.userId })).slice(0, chain.length - 1)).toEqual(chain.slice(1));
    expect((await audit(bob, { afterSeq: 0, subjectId: alice.userId })).status).toBe(403);
    const mixed = await audit(alice, { afterSeq: 0, outcome: 'deny' });
    expect(mixed.status).toBe(400);
    expect((await audit(alice, { afterSeq: -1 })).status).toBe(400);
  });

  it('keeps a patient out of another patient’s trail and chain head (403), and shows them none of its rows', async () => {
    expect((await audit(bob, { subjectId: alice.userId })).status).toBe(403);
    expect((await head(bob, { subjectId: alice.userId })).status).toBe(403);
    const bobs = await everything(bob);
    expect(bobs.every((row) => row.subjectId === bob.userId)).toBe(true);
  });

  it('gives an auditor every subject’s rows and any chain head', async () => {
    const aliceRows = await everything(auditor, { subjectId: alice.userId });
    expect(aliceRows).toEqual(await everything(alice));
    const page = await audit(auditor, { limit: 200 });
    expect(new Set(page.body.items.map((row) => row.subjectId)).size).toBeGreaterThanOrEqual(3);
    expect((await head(auditor, { subjectId: alice.userId })).body).toEqual((await head(alice)).body);
    expect((await head(auditor, { subjectId: randomUUID() })).body).toMatchObject({ seq: 0, hash: '0'.repeat(64) });
  });

  it('exports the filtered rows as JSON and as CSV, with formulas neutralised', async () => {
    const json = await alice.client.send(ROUTES.exportAudit, { query: { format: 'json', action: 'record.read' }, token: alice.token });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(json.body).toEqual(await everything(alice, { action: 'record.read' }));

    const csv = await alice.client.send(ROUTES.exportAudit, { query: { format: 'csv', action: 'record.read' }, token: alice.token });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('"occurredAt","subjectId","seq","actorId","actorRole","action","outcome","reason","recordId","consentId","ip","userAgent","requestId","prevHash","hash"');
    expect(lines).toHaveLength(json.body.length + 1);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    expect(csv.text).not.toMatch(/,=HYPERLINK/);
  });

  it('quotes every CSV cell, so a spreadsheet whose list separator is ";" finds no formula either', async () => {
    const csv = await alice.client.send(ROUTES.exportAudit, { query: { format: 'csv', action: 'record.read' }, token: alice.token });
    const lines = csv.text.trimEnd().split('\r\n');
    for (const separator of [',', ';']) {
      const cells = lines.flatMap((line) => spreadsheetCells(line, separator));
      expect({ separator, formulas: cells.filter((cell) => /^[=+\-@]/.test(cell)) }).toEqual({ separator, formulas: [] });
    }
    expect(lines.every((line) => /^"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*$/.test(line))).toBe(true);
    expect(csv.text).toContain(`"${SEMICOLON_FORMULA}"`);
  });

  it('keeps one unbroken chain for one patient when two API processes on one database take parallel requests, one row per request', async () => {
    const second = await startApiProcess(api);
    try {
      const before = (await auditRowsOf(api, alice.userId)).length;
      const requests = Array.from({ length: 40 }, (_, i) => {
        const client = testClient(i % 2 === 0 ? api.baseUrl : second.baseUrl);
        // Alternating allowed reads (written in the request's transaction) and denied ones (written after its rollback).
        return client.send(ROUTES.getRecord, { params: { id: privateRecord }, token: i % 4 < 2 ? alice.token : bob.token });
      });
      const statuses = (await Promise.all(requests)).map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(20);
      expect(statuses.filter((status) => status === 404)).toHaveLength(20);
      const rows = await auditRowsOf(api, alice.userId);
      expect(rows.length - before).toBe(40);
      expect(await firstBrokenRow(rows)).toBeNull();
    } finally {
      await second.stop();
    }
  });

  it.each([
    ['?action=record.steal', 'action'],
    ['?outcome=maybe', 'outcome'],
    ['?from=yesterday', 'from'],
    ['?recordId=1', 'recordId'],
    ['?limit=500', 'limit'],
    ['?cursor=bm9wZQ', 'cursor'],
  ])('answers %s with 400 naming the field', async (query, field) => {
    // Queries the contract forbids, sent as written.
    const response = await alice.client.unchecked().send(ROUTES.listAudit, { query: Object.fromEntries(new URLSearchParams(query)), token: alice.token });
    expect(response.status).toBe(400);
    expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
  });

  it('answers an export without a format, or another one, with 400', async () => {
    for (const query of ['', '?format=xml']) {
      // Formats the contract forbids (none, or one it does not know), sent as written.
      const response = await alice.client.unchecked().send(ROUTES.exportAudit, { query: Object.fromEntries(new URLSearchParams(query)), token: alice.token });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.[0].field).toBe('format');
    }
  });
});
