import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstBrokenAuditRow, ROUTES, type AuditEvent, type AuditPage } from '@phr/shared-types';
import { auditRowsOf, auditTrailOf } from './support/audit.js';
import { sha256Hex } from './support/audit-chain.js';
import { insertAuditor, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionTokenFor } from './support/tokens.js';

interface Reader {
  client: TestClient;
  token: string;
  userId: string;
}

describe('reading the audit trail is itself audited (ASVS 8.3.5)', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let doctor: RegisteredUser;
  let auditor: Reader;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    const auditorId = await insertAuditor(api.adminQuery);
    auditor = { client: testClient(api.baseUrl), token: await sessionTokenFor(api, auditorId, 'auditor'), userId: auditorId };
  });
  afterAll(async () => {
    await api?.close();
  });


  it('files an auditor’s read of one patient’s trail in that trail, and the read shows itself', async () => {
    const page = await auditor.client.send(ROUTES.listAudit, { query: { subjectId: alice.userId, action: 'account.register' }, token: auditor.token });
    expect(page.status).toBe(200);
    const rows = await auditRowsOf(api, alice.userId);
    expect(rows.at(-1)).toMatchObject({
      action: 'audit.read',
      outcome: 'allow',
      actor_id: auditor.userId,
      actor_role: 'auditor',
      reason: 'one trail; action=account.register',
      request_id: page.headers.get('x-request-id'),
    });
    // The patient sees who read their trail.
    const own = await alice.client.send(ROUTES.listAudit, { query: { action: 'audit.read' }, token: alice.token });
    expect(own.body.items.map((row) => [row.actorId, row.actorRole, row.reason])).toEqual([[auditor.userId, 'auditor', 'one trail; action=account.register']]);
  });

  it('files an export and a chain-head read of one trail in that trail', async () => {
    const exported = await auditor.client.send(ROUTES.exportAudit, { query: { format: 'json', subjectId: alice.userId }, token: auditor.token });
    expect(exported.status).toBe(200);
    expect(exported.body[0]).toMatchObject({ action: 'audit.export', actorId: auditor.userId, reason: 'one trail' });
    const head = await auditor.client.send(ROUTES.auditHead, { query: { subjectId: alice.userId }, token: auditor.token });
    const rows = await auditRowsOf(api, alice.userId);
    expect(rows.at(-1)).toMatchObject({ action: 'audit.head', actor_id: auditor.userId });
    expect(head.body).toMatchObject({ seq: rows.length, hash: rows.at(-1)?.hash });
  });

  it('files a read of all trails in the auditor’s own trail, one row per page', async () => {
    const before = (await auditRowsOf(api, auditor.userId)).length;
    const first = await auditor.client.send(ROUTES.listAudit, { query: { limit: 2, outcome: 'allow' }, token: auditor.token });
    await auditor.client.send(ROUTES.listAudit, { query: { limit: 2, outcome: 'allow', cursor: first.body.nextCursor ?? undefined }, token: auditor.token });
    const rows = (await auditRowsOf(api, auditor.userId)).slice(before);
    expect(rows.map((row) => [row.action, row.actor_id, row.reason])).toEqual([
      ['audit.read', auditor.userId, 'all trails; outcome=allow'],
      ['audit.read', auditor.userId, 'all trails; outcome=allow'],
    ]);
  });

  it('starts no chain for an id that has no trail: that read goes to the auditor’s own trail', async () => {
    const nobody = randomUUID();
    const head = await auditor.client.send(ROUTES.auditHead, { query: { subjectId: nobody }, token: auditor.token });
    expect(head.body).toMatchObject({ seq: 0, hash: '0'.repeat(64) });
    expect(await auditRowsOf(api, nobody)).toEqual([]);
    expect((await auditRowsOf(api, auditor.userId)).at(-1)).toMatchObject({ action: 'audit.head', reason: `the empty trail of ${nobody}` });
  });

  it('records nothing when a patient reads their own trail or a doctor their own actions, so the trail holds still while it is verified', async () => {
    const aliceBefore = await auditTrailOf(api, alice.userId);
    const doctorBefore = await auditTrailOf(api, doctor.userId);
    const head = await alice.client.send(ROUTES.auditHead, { token: alice.token });
    const page = await alice.client.send(ROUTES.listAudit, { query: { limit: 200 }, token: alice.token });
    await alice.client.send(ROUTES.exportAudit, { query: { format: 'csv' }, token: alice.token });
    await doctor.client.send(ROUTES.listAudit, { token: doctor.token });
    await doctor.client.send(ROUTES.auditHead, { token: doctor.token });
    expect(await auditTrailOf(api, alice.userId)).toEqual(aliceBefore);
    expect(await auditTrailOf(api, doctor.userId)).toEqual(doctorBefore);

    const chain = [...page.body.items].sort((a, b) => a.seq - b.seq);
    expect(await firstBrokenAuditRow(chain, sha256Hex)).toBeNull();
    expect(head.body).toEqual({ subjectId: alice.userId, seq: chain.length, hash: chain.at(-1)?.hash });
  });

  it('keeps the auditor’s own chain verifiable while reading it grows it', async () => {
    const head = await auditor.client.send(ROUTES.auditHead, { token: auditor.token });
    const rows: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: AuditPage } = await auditor.client.send(ROUTES.listAudit, { query: { limit: 3, cursor: cursor ?? undefined }, token: auditor.token });
      rows.push(...page.body.items.filter((row) => row.subjectId === auditor.userId));
      cursor = page.body.nextCursor;
    } while (cursor);
    const chain = rows.sort((a, b) => a.seq - b.seq);
    expect(await firstBrokenAuditRow(chain, sha256Hex)).toBeNull();
    expect(chain[head.body.seq - 1]?.hash).toBe(head.body.hash);
    expect(chain.length).toBeGreaterThan(head.body.seq);
  });
});
