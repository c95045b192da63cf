import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditHashInput, DOCTOR_WRAP_BYTES, ROUTES, type AuditEvent } from '@phr/shared-types';
import { AuditEventsRepository } from '../src/audit/audit-events.repository.js';
import { auditRowToEvent } from '../src/audit/audit-row.js';
import { AuditService, chainedRow, type AuditEntry } from '../src/audit/audit.service.js';
import { Db } from '../src/db/db.service.js';
import type { AuditActor, RequestMeta } from '../src/db/request-context.js';
import { auditRowsOf } from './support/audit.js';
import { firstBrokenRow } from './support/audit-chain.js';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { uploadRecord } from './support/records.js';
import { statementsOfRequest, transactionMessages } from './support/sql-statements.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Text that JSON and SQL treat differently, if anything does: quotes, backslashes, control characters, non-ASCII, the JSON-vs-JavaScript line separators. */
const AWKWARD = [
  'plain',
  'quote " and \' and backslash \\ and slash /',
  'tab\tnewline\ncarriage\rbell\u0007escape\u001b unit\u001f delete\u007f',
  'unicode: é ü ß 漢字 ☃ 😀 e\u0301 \u200b\u2028\u2029 \ufeff',
  'json-looking ["1",2,null] {"a":"b"} \\u0041',
  '',
];

/**
 * Audit rows are numbered and hashed by PostgreSQL in one statement (audit_append,
 * migration 1765730000000; issue 14), over canonical text the API builds with the
 * portal's own canonicalAuditRow. The hashes must stay byte for byte what the portal
 * verifies.
 */
describe('audit rows appended in one statement (DESIGN 7, issue 14)', () => {
  let api: TestApp;
  let db: Db;
  let events: AuditEventsRepository;
  let audit: AuditService;

  beforeAll(async () => {
    api = await startTestApp();
    db = api.app.get(Db);
    events = api.app.get(AuditEventsRepository);
    audit = api.app.get(AuditService);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function append(subjectId: string, batch: Array<{ entry: AuditEntry; actor: AuditActor; meta: RequestMeta }>): Promise<void> {
    const occurredAt = new Date().toISOString();
    await db.runAs({ userId: null, role: null }, () => events.appendChained(occurredAt, batch.map(({ entry, actor, meta }) => chainedRow({ ...entry, subjectId }, actor, meta, occurredAt))));
  }

  it('hashes rows with awkward text and null fields exactly as auditHashInput does', async () => {
    const subjectId = randomUUID();
    const batch = AWKWARD.flatMap((text, index) => [
      {
        entry: { subjectId, action: 'record.read' as const, outcome: 'deny' as const, reason: text, recordId: randomUUID(), consentId: randomUUID() },
        actor: { userId: randomUUID(), role: 'doctor' as const },
        meta: { requestId: `req ${text}`, ip: index % 2 ? '::1' : '203.0.113.7', userAgent: text },
      },
      { entry: { subjectId, action: 'consent.expire' as const, outcome: 'allow' as const }, actor: { userId: null, role: 'system' as const }, meta: { requestId: text, ip: null, userAgent: null } },
    ]);
    await append(subjectId, batch.slice(0, 5));
    await append(subjectId, batch.slice(5));

    const rows = (await auditRowsOf(api, subjectId)).map(auditRowToEvent);
    expect(rows.map((row) => row.seq)).toEqual(batch.map((_, index) => index + 1));
    expect(rows.map((row) => [row.reason, row.userAgent, row.requestId])).toEqual(batch.map(({ entry, meta }) => [entry.reason ?? null, meta.userAgent, meta.requestId]));
    let prevHash = '0'.repeat(64);
    for (const row of rows) {
      const { hash, prevHash: statedPrev, ...fields } = row;
      expect(statedPrev).toBe(prevHash);
      expect(hash).toBe(sha256Hex(auditHashInput(prevHash, fields)));
      prevHash = hash;
    }
  });

  it('numbers a batch over several subjects per subject, in the order queued', async () => {
    const [first, second] = [randomUUID(), randomUUID()].sort();
    const occurredAt = new Date().toISOString();
    const row = (subjectId: string, reason: string) =>
      chainedRow({ subjectId, action: 'record.list', outcome: 'allow', reason }, { userId: null, role: 'system' }, { requestId: 'batch', ip: null, userAgent: null }, occurredAt);
    // Queued out of subject order: heads are still locked in subject order, rows numbered in queue order.
    await db.runAs({ userId: null, role: null }, () => events.appendChained(occurredAt, [row(second, 'a'), row(first, 'b'), row(second, 'c')]));
    const secondRows = await auditRowsOf(api, second);
    expect(secondRows.map((r) => [Number(r.seq), r.reason])).toEqual([
      [1, 'a'],
      [2, 'c'],
    ]);
    expect((await auditRowsOf(api, first)).map((r) => [Number(r.seq), r.reason])).toEqual([[1, 'b']]);
    expect(await firstBrokenRow(secondRows)).toBeNull();
  });

  it('starts a new subject’s chain once when its first rows are appended one at a time, at once', async () => {
    // One subject per call: the head is locked directly, or made by audit_chain_heads_for when it does not exist yet (migration 1766010000000).
    const subjectId = randomUUID();
    const appendOne = (reason: string) => {
      const occurredAt = new Date().toISOString();
      const row = chainedRow({ subjectId, action: 'record.list', outcome: 'allow', reason }, { userId: null, role: 'system' }, { requestId: reason, ip: null, userAgent: null }, occurredAt);
      return db.runAs({ userId: null, role: null }, () => events.appendChained(occurredAt, [row]));
    };
    const reasons = Array.from({ length: 8 }, (_, index) => `first-${index}`);
    await Promise.all(reasons.map(appendOne));
    await appendOne('later');
    const rows = await auditRowsOf(api, subjectId);
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 9 }, (_, index) => index + 1));
    expect(rows.map((row) => row.reason).sort()).toEqual([...reasons, 'later'].sort());
    expect(rows.at(-1)?.reason).toBe('later');
    expect(rows[0].prev_hash).toBe('0'.repeat(64));
    expect(await firstBrokenRow(rows)).toBeNull();
  });

  it('refuses canonical text that is not the row’s own subject', async () => {
    const occurredAt = new Date().toISOString();
    const row = chainedRow({ subjectId: randomUUID(), action: 'record.list', outcome: 'allow' }, { userId: null, role: 'system' }, { requestId: 'x', ip: null, userAgent: null }, occurredAt);
    await expect(db.runAs({ userId: null, role: null }, () => events.appendChained(occurredAt, [{ ...row, subjectId: randomUUID() }]))).rejects.toThrow(/does not start with its subject/);
  });

  it('files the allowed rows of a transaction that failed on the server as denials "not completed"', async () => {
    const subjectId = randomUUID();
    await expect(
      db.runAs({ userId: null, role: null }, async () => {
        await audit.allow({ subjectId, action: 'record.read', recordId: randomUUID() });
        throw new Error('the handler broke after the decision');
      }),
    ).rejects.toThrow('the handler broke');
    const rows = await auditRowsOf(api, subjectId);
    expect(rows.map((r) => [r.action, r.outcome, r.reason])).toEqual([['record.read', 'deny', 'not completed: a server error']]);
    expect(await firstBrokenRow(rows)).toBeNull();
  });
});

/** A doctor's read (GET /records/:id) as PostgreSQL sees it: the fewest round trips, one row per read, chains that verify. */
describe('a doctor’s read of a shared record (issue 14)', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;
  let recordId: string;

  beforeAll(async () => {
    api = await startTestApp({ DATABASE_POOL_SIZE: '20' });
    patient = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    recordId = (await uploadRecord(patient)).summary.id;
    const wraps = [{ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'record', recordId, wraps } });
    if (granted.status !== 201) throw new Error(`consent failed: ${granted.status} ${granted.text}`);
  });
  afterAll(async () => {
    await api?.close();
  });

  const read = (id = recordId) => doctor.client.send(ROUTES.getRecord, { token: doctor.token, params: { id } });

  it('sends PostgreSQL three messages: begin as the caller, decide, audit with the commit', async () => {
    let status = 0;
    const statements = await statementsOfRequest(api, async () => {
      const answer = await read();
      status = answer.status;
      return answer;
    });
    expect(status).toBe(200);
    expect(statements.map((sql) => sql.slice(0, 44))).toEqual([
      'START TRANSACTION; SELECT app_start_request(',
      'SELECT r.id, r.owner_id, r.folder_id, r.size',
      `SELECT audit_append(ARRAY['${patient.userId.slice(0, 17)}`,
    ]);
    expect(statements[2]).toMatch(/\); COMMIT$/);
  });

  it('takes two round trips: the read goes out behind the start before the start is answered, then the audit rows with the COMMIT', async () => {
    // The read's statements as the API's connections send them, and when each answer came, in order.
    const name = (text: string) => (text.startsWith('START') ? 'start' : text.startsWith('SELECT r.id') ? 'read' : text.startsWith('SELECT audit_append') ? 'audit+commit' : null);
    const named = (event: string) => (text: string) => {
      const statement = name(text);
      return statement && `${event} ${statement}`;
    };
    const events = await transactionMessages(async () => expect((await read()).status).toBe(200), named('send'), named('answer'));
    expect(events).toEqual(['send start', 'send read', 'answer start', 'answer read', 'send audit+commit', 'answer audit+commit']);
  });

  it('leaves one row per read and a chain that verifies when 16 reads of one patient run at once', async () => {
    const before = (await auditRowsOf(api, patient.userId)).length;
    const answers = await Promise.all(Array.from({ length: 16 }, () => read()));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const rows = await auditRowsOf(api, patient.userId);
    const reads = rows.slice(before);
    expect(reads.map((row) => [row.action, row.outcome, row.actor_id, row.record_id])).toEqual(answers.map(() => ['record.read', 'allow', doctor.userId, recordId]));
    expect(new Set(reads.map((row) => row.request_id)).size).toBe(16);
    expect(await firstBrokenRow(rows)).toBeNull();
  });

  it('leaves the deny row of a refused read, in the owner’s trail, after the request rolled back', async () => {
    const before = (await auditRowsOf(api, patient.userId)).length;
    const other = await registerUser(api, 'doctor');
    const answer = await other.client.send(ROUTES.getRecord, { token: other.token, params: { id: recordId } });
    expect(answer.status).toBe(404);
    const rows = await auditRowsOf(api, patient.userId);
    expect(rows.slice(before).map((row) => [row.action, row.outcome, row.actor_id, row.reason])).toEqual([['record.read', 'deny', other.userId, 'no active consent and wrap']]);
    expect(await firstBrokenRow(rows)).toBeNull();
  });

  it('keeps the hash the portal checks for a row the API wrote (shared-types verifier)', async () => {
    const rows = (await auditRowsOf(api, patient.userId)).map(auditRowToEvent);
    const last = rows.at(-1) as AuditEvent;
    const { hash, prevHash, ...fields } = last;
    expect(hash).toBe(sha256Hex(auditHashInput(prevHash, fields)));
  });
});
