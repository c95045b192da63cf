/**
 * Several API instances behind Caddy (`npm start -- --instances 3`, issue 17): the local stack
 * with three API processes and Caddy balancing them (infra/local/load-balancer.Caddyfile, with
 * Compose's api-load-balancing.caddy). Patients sign in, list, upload through pre-signed URLs,
 * read and page their audit trail, all through Caddy, while one instance is killed (SIGKILL,
 * as a crash or the OOM killer ends it). Then: no read failed, every write acknowledged is
 * there, every patient's audit chain holds, and a rate limit counted on one instance refuses on
 * another.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { firstBrokenAuditRow, ROUTES, type AuditEvent } from '@phr/shared-types';
import { registerUser, signedIn, type RegisteredUser } from '@phr/backend/test-support/factories.js';
import { testClient, type TestClient } from '@phr/backend/test-support/http.js';
import { commit, commitRequest, putSegments, segmentBodies } from '@phr/backend/test-support/records.js';
import { stackMailbox, type ApiInstance } from '../local/stack.js';
import { startThrowawayStack, type ThrowawayStack } from '../local/throwaway-stack.js';

const INSTANCES = 3;
const CLIENTS = 4;
/** The doctor-search limit of the rate-limit test: low, and no other request counts against it. */
const SEARCH_LIMIT = 6;

/** Polls `condition` until it holds; the ceiling is generous because the machine may be busy. */
async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One request as a client saw it. */
interface Outcome {
  client: number;
  method: string;
  route: string;
  /** 0: no answer at all (the connection failed). */
  status: number;
  /** The instance that answered (X-Phr-Instance, set by the local Caddyfile). */
  instance: string | null;
  afterKill: boolean;
}

interface Patient {
  user: RegisteredUser;
  client: TestClient;
  token: string;
  /** Records whose commit was answered 201. */
  acknowledged: string[];
}

describe('several API instances behind Caddy', () => {
  let product: ThrowawayStack;
  let db: pg.Client;
  let instances: ApiInstance[];
  let patients: Patient[];
  const outcomes: Outcome[] = [];
  let killed: ApiInstance | undefined;

  beforeAll(async () => {
    product = await startThrowawayStack('instances', {
      build: true,
      apiInstances: INSTANCES,
      env: { RATE_LIMIT_DOCTOR_SEARCHES: String(SEARCH_LIMIT), RATE_LIMIT_DOCTOR_SEARCH_WINDOW_SECONDS: '3600' },
    });
    instances = product.stack.apiInstances;
    const adminUrl = new URL(product.stack.databaseAdminUrl);
    adminUrl.pathname = `/${product.database}`;
    db = new pg.Client({ connectionString: adminUrl.toString() });
    await db.connect();
    const api = { baseUrl: product.stack.apiUrl, mail: stackMailbox(product.stack), ownerUrl: product.stack.databaseOwnerUrl };
    patients = [];
    for (let index = 0; index < CLIENTS; index++) {
      const user = await registerUser(api);
      patients.push({ user, client: user.client, token: user.token, acknowledged: [] });
    }
  }, 600_000);

  afterAll(async () => {
    await db?.end();
    await product?.stop();
  }, 120_000);

  /** Sends one request through the client and writes down what came back; never throws. */
  async function observed<T>(index: number, method: string, route: string, send: () => Promise<{ status: number; headers: Headers; body: T }>): Promise<{ status: number; body: T | undefined }> {
    const afterKill = killed !== undefined;
    try {
      const result = await send();
      outcomes.push({ client: index, method, route, status: result.status, instance: result.headers.get('x-phr-instance'), afterKill });
      return { status: result.status, body: result.body };
    } catch {
      outcomes.push({ client: index, method, route, status: 0, instance: null, afterKill });
      return { status: 0, body: undefined };
    }
  }

  /** A patient's session: sign in, list, upload one record, read it back, read the audit trail. */
  async function oneRound(index: number): Promise<void> {
    const patient = patients[index];
    const { user, client } = patient;
    const signIn = () => observed(index, 'POST', 'login', () => client.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } }));
    let login = await signIn();
    // A sign-in whose instance was killed before it answered (502) may have committed, and a
    // sign-in ends the session its browser had (one session per browser, session-starter.ts):
    // the token held may be ended, so the patient signs in again, as a person would.
    for (let attempt = 0; attempt < 5 && login.status !== 200; attempt++) login = await signIn();
    if (login.status === 200 && login.body) patient.token = signedIn(login.body).accessToken;
    const token = patient.token;
    await observed(index, 'GET', 'listRecords', () => client.send(ROUTES.listRecords, { token }));
    const presigned = await observed(index, 'POST', 'presignUpload', () => client.send(ROUTES.presignUpload, { token, body: { size: 2000 } }));
    const upload = presigned.status === 200 ? presigned.body : undefined;
    if (upload) {
      // The object store is reached directly (pre-signed URLs), not through Caddy.
      await putSegments(upload, segmentBodies(2000));
      const committed = await observed(index, 'POST', 'commitRecord', () => commit({ client, token }, commitRequest(upload.recordId)));
      if (committed.status === 201) patient.acknowledged.push(upload.recordId);
    }
    const readable = patient.acknowledged.at(-1);
    if (readable) await observed(index, 'GET', 'getRecord', () => client.send(ROUTES.getRecord, { token, params: { id: readable } }));
    await observed(index, 'GET', 'listAudit', () => client.send(ROUTES.listAudit, { token, query: {} }));
  }

  it('serves every read and keeps every acknowledged write while one of three instances is killed under load', async () => {
    let stopping = false;
    const rounds = new Array<number>(CLIENTS).fill(0);
    const roundsAtKill = new Array<number>(CLIENTS).fill(0);
    const load = patients.map(async (_, index) => {
      while (!stopping) {
        await oneRound(index);
        rounds[index] += 1;
      }
    });
    try {
      // Killed mid-load, once every client has done a round and every instance has answered some of the load.
      await waitFor('every client has done a round and every instance has answered three requests', () =>
        rounds.every((count) => count >= 1) && instances.every((instance) => outcomes.filter((outcome) => outcome.instance === new URL(instance.url).host).length >= 3),
      );
      killed = instances[1];
      roundsAtKill.splice(0, CLIENTS, ...rounds);
      process.kill(killed.pid, 'SIGKILL');
      await waitFor('every client has done three more rounds', () => rounds.every((count, index) => count >= roundsAtKill[index] + 3));
    } finally {
      stopping = true;
      await Promise.all(load);
    }

    const reads = outcomes.filter((outcome) => outcome.method === 'GET');
    expect(reads.length).toBeGreaterThan(0);
    // No read failed, not even those in flight on the killed instance: Caddy retried them on another.
    expect(reads.filter((outcome) => outcome.status !== 200)).toEqual([]);
    // After the kill, only the others answered.
    const killedHost = new URL(killed.url).host;
    expect(outcomes.filter((outcome) => outcome.afterKill && outcome.instance === killedHost && outcome.status !== 0)).toEqual([]);
    // A write may fail (502) if it was in flight on the killed instance: Caddy does not send it again.
    expect(outcomes.filter((outcome) => outcome.method === 'POST' && outcome.status !== 200 && outcome.status !== 201 && outcome.status !== 502)).toEqual([]);

    // Every record whose commit was acknowledged is there, listed and readable.
    for (const patient of patients) {
      expect(patient.acknowledged.length).toBeGreaterThan(0);
      const { rows } = await db.query<{ id: string }>('SELECT id FROM records WHERE owner_id = $1 AND id = ANY($2::uuid[])', [patient.user.userId, patient.acknowledged]);
      expect(rows.map((row) => row.id).sort()).toEqual([...patient.acknowledged].sort());
      const listed = await patient.client.send(ROUTES.listRecords, { token: patient.token });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((item) => item.id)).toEqual(expect.arrayContaining(patient.acknowledged));
    }
  }, 900_000);

  it('verifies every patient’s audit chain after the kill, as the portal does (through Caddy)', async () => {
    const sha256Hex = async (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    for (const patient of patients) {
      const { client, token } = patient;
      const head = await client.send(ROUTES.auditHead, { token });
      expect(head.status).toBe(200);
      const events: AuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.send(ROUTES.listAudit, { token, query: { cursor, limit: 200 } });
        expect(page.status).toBe(200);
        events.push(...page.body.items.filter((event) => event.subjectId === patient.user.userId));
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      events.sort((a, b) => a.seq - b.seq);
      const { rows } = await db.query<{ count: string }>('SELECT count(*) AS count FROM audit_events WHERE subject_id = $1', [patient.user.userId]);
      expect({
        patient: patient.user.userId,
        firstBroken: await firstBrokenAuditRow(events, sha256Hex),
        reachesHead: events.at(-1)?.hash === head.body.hash && events.length === head.body.seq,
        rowsInDatabase: Number(rows[0].count) >= events.length,
      }).toEqual({ patient: patient.user.userId, firstBroken: null, reachesHead: true, rowsInDatabase: true });
      // Every acknowledged commit is in the trail.
      const uploaded = new Set(events.filter((event) => event.action === 'record.create' && event.outcome === 'allow').map((event) => event.recordId));
      expect(patient.acknowledged.filter((id) => !uploaded.has(id))).toEqual([]);
    }
  });

  it('shares rate limits between instances: searches counted on one instance are refused on another', async () => {
    const [first, , third] = instances;
    const searcher = patients[0];
    const search = (instance: ApiInstance) =>
      testClient(instance.url).send(ROUTES.findContactCandidate, { token: searcher.token, body: { email: patients[1].user.request.email } });
    const sharedHits = async () => {
      const { rows } = await db.query<{ hits: number }>("SELECT hits FROM rate_limits WHERE key LIKE 'doctorSearch:%'");
      return rows.reduce((sum, row) => sum + Number(row.hits), 0);
    };

    // Half the limit on one instance, half on another: all allowed.
    for (let i = 0; i < SEARCH_LIMIT / 2; i++) expect((await search(first)).status).not.toBe(429);
    await waitFor(`the first instance has shared its ${SEARCH_LIMIT / 2} searches`, async () => (await sharedHits()) >= SEARCH_LIMIT / 2, 30_000);
    for (let i = 0; i < SEARCH_LIMIT / 2; i++) expect((await search(third)).status).not.toBe(429);
    await waitFor(`the shared count reaches ${SEARCH_LIMIT}`, async () => (await sharedHits()) >= SEARCH_LIMIT, 30_000);

    // The third instance itself saw only half the limit: it refuses because the count is shared.
    const refused = await search(third);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
