/**
 * The data generator (infra/seed, issue 14): what it writes is what the
 * product would have written. A seeded database is copied for an API, and
 * the API itself signs in its accounts, serves their trails (whose chains
 * verify against its heads), lets a consented doctor read a record, and
 * proves the accounts' key bindings; the database's own checks hold for every
 * row the seed wrote with its per-row triggers off.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstBrokenAuditRow, ROUTES, type AuditEvent } from '@phr/shared-types';
import { createTestDatabase, type TestDatabase } from '@phr/infra/local/test-database.js';
import { seed, type SeedResult } from '../../infra/seed/seed.js';
import { verifyBindingProof } from '../../frontend/src/crypto/key-directory.js';
import { firstBrokenRow, sha256Hex } from './support/audit-chain.js';
import { auditRowsOf } from './support/audit.js';
import { signedIn } from './support/factories.js';
import { testClient, type TestClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ROWS_PER_PATIENT = 450;

describe('the data generator (npm run seed)', () => {
  let seeded: TestDatabase;
  let result: SeedResult;
  let api: TestApp;

  beforeAll(async () => {
    const adminUrl = process.env.PHR_TEST_ADMIN_URL ?? '';
    seeded = await createTestDatabase(adminUrl, process.env.PHR_TEST_TEMPLATE ?? '');
    result = await seed(seeded.ownerUrl, { patients: 3, recordsPerPatient: 4, doctors: 2, auditors: 1, consentsPerPatient: 1, auditRowsPerPatient: ROWS_PER_PATIENT });
    // The API starts on a copy of the seeded database, as an operator starts it after a seed.
    api = await startTestApp({}, false, { template: seeded.name });
  });

  afterAll(async () => {
    await api?.close();
    await seeded?.drop();
  });

  async function signIn(email: string): Promise<{ client: TestClient; token: string }> {
    const client = testClient(api.baseUrl);
    const answer = await client.send(ROUTES.login, { body: { email, authKey: result.authKey } });
    if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${answer.text}`);
    return { client, token: signedIn(answer.body).accessToken };
  }

  /** The caller's whole trail through GET /audit, oldest first. */
  async function trailOf(caller: { client: TestClient; token: string }, subjectId?: string): Promise<AuditEvent[]> {
    const rows: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await caller.client.send(ROUTES.listAudit, { token: caller.token, query: { subjectId, limit: 200, cursor } });
      expect(page.status).toBe(200);
      rows.push(...page.body.items);
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    return rows.sort((a, b) => a.seq - b.seq);
  }

  it('seeds accounts that sign in, and trails whose chains verify against the API’s heads', async () => {
    const patient = result.patients[0];
    const session = await signIn(patient.email);
    const head = await session.client.send(ROUTES.auditHead, { token: session.token });
    expect(head.status).toBe(200);
    // The seeded rows, then the sign-in's own.
    expect(head.body.seq).toBeGreaterThan(ROWS_PER_PATIENT);
    const trail = await trailOf(session);
    expect(trail.length).toBeGreaterThanOrEqual(head.body.seq);
    expect(trail[0].action).toBe('account.register');
    expect(await firstBrokenAuditRow(trail, sha256Hex)).toBeNull();
    expect(trail[head.body.seq - 1].hash).toBe(head.body.hash);
    expect(new Set(trail.map((row) => row.outcome))).toEqual(new Set(['allow', 'deny']));
  });

  it('lets the seeded auditor read any seeded trail, and every chain in the database holds', async () => {
    const auditor = await signIn(result.auditors[0].email);
    const subjectId = result.patients[1].userId;
    const head = await auditor.client.send(ROUTES.auditHead, { token: auditor.token, query: { subjectId } });
    expect(head.status).toBe(200);
    const trail = await trailOf(auditor, subjectId);
    expect(await firstBrokenAuditRow(trail, sha256Hex)).toBeNull();
    expect(trail[head.body.seq - 1].hash).toBe(head.body.hash);

    const seededIds = [...result.heads.keys()];
    expect(seededIds).toHaveLength(result.patients.length + result.doctors.length + result.auditors.length);
    for (const id of seededIds) {
      expect(await firstBrokenRow(await auditRowsOf(api, id))).toBeNull();
    }
    const [stale] = await api.adminQuery<{ count: string }>(
      `SELECT count(*) FROM audit_chain_heads h WHERE h.subject_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.subject_id = h.subject_id AND e.seq = h.seq AND e.hash = h.hash
                           AND NOT EXISTS (SELECT 1 FROM audit_events later WHERE later.subject_id = h.subject_id AND later.seq > h.seq))`,
      [seededIds],
    );
    expect(Number(stale.count)).toBe(0);
  });

  it('lets a consented doctor read a seeded record through its wrap', async () => {
    const doctor = await signIn(result.doctors[0].email);
    const [record] = await api.adminQuery<{ id: string }>(
      `SELECT r.id FROM records r JOIN consents c ON c.patient_id = r.owner_id WHERE c.doctor_id = $1 LIMIT 1`,
      [result.doctors[0].userId],
    );
    const read = await doctor.client.send(ROUTES.getRecord, { token: doctor.token, params: { id: record.id } });
    expect(read.status).toBe(200);
  });

  it('binds every seeded key in the key directory, as the database checks a leaf and a node', async () => {
    const patient = await signIn(result.patients[2].email);
    const proof = await patient.client.send(ROUTES.keyBinding, { token: patient.token, params: { id: result.patients[2].userId } });
    expect(proof.status).toBe(200);
    expect(await verifyBindingProof(proof.body, result.patients[2].userId, api.config.keyLog.publicKey)).toBe(true);
    const [wrong] = await api.adminQuery<{ leaves: string; nodes: string }>(
      `SELECT (SELECT count(*) FROM key_log_leaves l WHERE l.leaf_hash <> key_log_leaf_hash(l.user_id, l.role, l.public_key, l.fingerprint, l.bound_at)) AS leaves,
              (SELECT count(*) FROM key_log_nodes n WHERE n.hash <> CASE WHEN n.level = 0
                 THEN (SELECT l.leaf_hash FROM key_log_leaves l WHERE l.leaf_index = n.node_index)
                 ELSE (SELECT sha256('\\x01'::bytea || a.hash || b.hash) FROM key_log_nodes a, key_log_nodes b
                        WHERE a.level = n.level - 1 AND a.node_index = n.node_index * 2 AND b.level = n.level - 1 AND b.node_index = n.node_index * 2 + 1) END) AS nodes`,
    );
    expect({ leaves: Number(wrong.leaves), nodes: Number(wrong.nodes) }).toEqual({ leaves: 0, nodes: 0 });
  });
});
