import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  ACCOUNT_ERASURE_CONFIRMATION,
  CLIENT_STATE_MAX_BYTES,
  KEY_LOG_MAX_LEAVES_PER_PAGE,
  DOCTOR_WRAP_BYTES,
  ROUTES,
  keyLogLeafJson,
  type RegisterInvitedRequest,
  type SignedTreeHead,
  type PutClientStateRequest,
} from '@phr/shared-types';
import { verifyBindingProof, verifyConsistency, verifyInclusion, verifyLeafRange, verifyTreeHead } from '../../frontend/src/crypto/key-directory.js';
import { newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';
import { provisionDatabase, withClient, withDatabase } from '@phr/infra/local/postgres.js';
import { dropDatabase, TEST_APP_PASSWORD, TEST_OWNER_PASSWORD } from '@phr/infra/local/test-database.js';
import { runMigrations } from '../src/db/migrate.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { KeyDirectory1765300000000 } from '../src/db/migrations/1765300000000-key-directory.js';
import { EMPTY_TREE_ROOT, rootHash } from '../src/key-directory/merkle-tree.js';
import { signTreeHead } from '../src/key-directory/tree-head.js';
import { auditRowsOf } from './support/audit.js';
import { operatorOf, registration, registerUser, rsaPublicKey, sealedBlob, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient, type AnyRoute, type TestClient, type RouteResult } from './support/http.js';
import { MemoryLog } from './support/key-directory-vectors.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf } from './support/tokens.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** A signed-in caller: what every route here needs. */
interface Caller {
  client: TestClient;
  token: string;
}

/** Sizes are sent as text too (malformed on purpose), so these queries go unchecked; the answers stay typed by their routes. */
const headOf = (caller: Caller) => caller.client.send(ROUTES.keyDirectoryHead, { token: caller.token });
const bindingOf = (caller: Caller, userId: string, treeSize?: number | string) =>
  caller.client.unchecked().send(ROUTES.keyBinding, { params: { id: userId }, query: { treeSize }, token: caller.token });
const consistencyOf = (caller: Caller, from: number | string, to: number | string) =>
  caller.client.unchecked().send(ROUTES.keyLogConsistency, { query: { from, to }, token: caller.token });
const leavesOf = (caller: Caller, start: number | string, end: number | string) => caller.client.unchecked().send(ROUTES.keyLogLeaves, { query: { start, end }, token: caller.token });
const frontierOf = (caller: Caller, treeSize: number | string) => caller.client.unchecked().send(ROUTES.keyLogFrontier, { query: { treeSize }, token: caller.token });

function ok<T>(response: RouteResult<T>): T {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status} ${response.text}`);
  return response.body;
}

/** Polls a condition of the database (never a time) until it holds. */
async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How many of the API's connections wait for a lock. */
async function apiLockWaiters(api: TestApp): Promise<number> {
  const [row] = await api.adminQuery<{ waiting: string }>(
    `SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'phr-api' AND wait_event_type = 'Lock'`,
  );
  return Number(row.waiting);
}

/** Runs `work` while an operator's transaction holds the row `lockSql` locks; releases it once `waiters` API connections wait. */
async function whileLocked<T>(api: TestApp, lockSql: string, params: unknown[], waiters: number, work: () => Promise<T>): Promise<T> {
  const operator = new pg.Client({ connectionString: api.database.adminUrl });
  operator.on('error', () => undefined);
  await operator.connect();
  try {
    await operator.query('BEGIN');
    await operator.query(lockSql, params);
    const pending = work();
    await waitFor(async () => (await apiLockWaiters(api)) >= waiters, `${waiters} request(s) of the API waiting for the lock`);
    await operator.query('COMMIT');
    return await pending;
  } finally {
    await operator.end();
  }
}

/** The fingerprint the API computes, and the portal: SHA-256 of the SPKI bytes, lower-case hex. */
const fingerprintOf = (spki: string) => createHash('sha256').update(Buffer.from(spki, 'base64url')).digest('hex');

describe('the key directory (DESIGN 4.5): every key binding in a signed, append-only log the browser checks', () => {
  let api: TestApp;
  let logKey: string;
  let patient: RegisteredUser;

  beforeAll(async () => {
    // Requests held at a lock on purpose wait for the operator, not for a timeout.
    api = await startTestApp({ DATABASE_LOCK_TIMEOUT_MS: '60000' });
    logKey = api.config.keyLog.publicKey;
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Checks a head and proves it extends `older`, as the portal does on each visit. */
  async function expectExtends(older: SignedTreeHead, newer: SignedTreeHead): Promise<void> {
    expect(await verifyTreeHead(newer, logKey)).toBe(true);
    const proof = ok(await consistencyOf(patient, older.treeSize, newer.treeSize));
    expect(proof).toMatchObject({ from: older.treeSize, to: newer.treeSize });
    expect(await verifyConsistency(older, newer, proof.proof)).toBe(true);
  }

  describe('appends', () => {
    it('serves a head signed with the app’s log key, naming that key', async () => {
      const head = ok(await headOf(patient));
      expect(head.keyId).toBe(api.config.keyLog.keyId);
      expect(await verifyTreeHead(head, logKey)).toBe(true);
      expect(head.treeSize).toBeGreaterThanOrEqual(1);
    });

    it('logs a registration: the next head includes the new account’s key, which the portal verifies', async () => {
      // The operator who approves test doctors registers (and is logged) on first use: before the head is taken.
      await operatorOf(api);
      const before = ok(await headOf(patient));
      const doctor = await registerUser(api, 'doctor');
      const after = ok(await headOf(patient));
      expect(after.treeSize).toBe(before.treeSize + 1);
      await expectExtends(before, after);

      const answer = ok(await bindingOf(patient, doctor.userId));
      expect(answer.binding).toEqual({
        leafIndex: before.treeSize,
        userId: doctor.userId,
        role: 'doctor',
        publicKey: doctor.request.keys.publicKey,
        fingerprint: doctor.session.keys.fingerprint,
        boundAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(answer.binding.fingerprint).toBe(fingerprintOf(doctor.request.keys.publicKey));
      expect(answer.treeHead).toEqual(after);
      expect(await verifyBindingProof(answer, doctor.userId, logKey)).toBe(true);
      // The doctor checks their own binding at sign-in the same way.
      expect(ok(await bindingOf(doctor, doctor.userId))).toEqual(answer);
    });

    it('logs an auditor’s registration too (every account has an RSA key)', async () => {
      const email = `auditor-${randomUUID().slice(0, 8)}@hospital.example`;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'backend/src/cli/create-auditor.ts', '--email', email, '--name', 'Security team'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, DATABASE_MIGRATION_URL: api.database.ownerUrl },
      });
      const { registrationToken: _token, role: _role, displayName: _name, specialty: _specialty, ...keys } = registration({ email });
      const body: RegisterInvitedRequest = { ...keys, invitation: stdout.split('\n')[1]?.trim() ?? '' };
      const created = await testClient(api.baseUrl).send(ROUTES.registerInvited, { body });
      expect(created.status).toBe(201);
      const answer = ok(await bindingOf(patient, created.body.user.id));
      expect(answer.binding).toMatchObject({ userId: created.body.user.id, role: 'auditor', publicKey: body.keys.publicKey });
      expect(await verifyBindingProof(answer, created.body.user.id, logKey)).toBe(true);
    });

    it('logs an erasure as a binding to no key, after the account’s earlier one, and proves both', async () => {
      const leaving = await registerUser(api, 'doctor');
      const registered = ok(await bindingOf(patient, leaving.userId));
      const erased = await leaving.client.send(ROUTES.eraseAccount, {
        token: leaving.token,
        body: { currentAuthKey: leaving.request.authKey, confirmation: ACCOUNT_ERASURE_CONFIRMATION },
      });
      expect(erased.status).toBe(200);

      const answer = ok(await bindingOf(patient, leaving.userId));
      expect(answer.binding).toMatchObject({ userId: leaving.userId, role: 'doctor', publicKey: null, fingerprint: null });
      expect(answer.binding.leafIndex).toBeGreaterThan(registered.binding.leafIndex);
      expect(await verifyBindingProof(answer, leaving.userId, logKey)).toBe(true);
      await expectExtends(registered.treeHead, answer.treeHead);
      // The earlier binding is still in the log, and still proven in the older tree.
      expect(ok(await bindingOf(patient, leaving.userId, registered.treeHead.treeSize))).toEqual(registered);
      const page = ok(await leavesOf(patient, registered.binding.leafIndex, registered.binding.leafIndex + 1));
      expect(page.items).toEqual([registered.binding]);
    });

    it('lands every one of several registrations at once, in one consistent tree', async () => {
      const before = ok(await headOf(patient));
      const users = await Promise.all(Array.from({ length: 6 }, (_, i) => registerUser(api, i % 2 ? 'doctor' : 'patient')));
      const after = ok(await headOf(patient));
      expect(after.treeSize).toBe(before.treeSize + users.length);
      await expectExtends(before, after);

      const indices: number[] = [];
      for (const user of users) {
        const answer = ok(await bindingOf(patient, user.userId, after.treeSize));
        expect(answer.binding.publicKey).toBe(user.request.keys.publicKey);
        expect(await verifyBindingProof(answer, user.userId, logKey)).toBe(true);
        indices.push(answer.binding.leafIndex);
      }
      expect(indices.sort((a, b) => a - b)).toEqual(Array.from({ length: users.length }, (_, i) => before.treeSize + i));

      // A monitor rebuilds the whole tree from the leaves and gets the signed root.
      const log = new MemoryLog();
      for (let start = 0; start < after.treeSize; start += KEY_LOG_MAX_LEAVES_PER_PAGE) {
        const page = ok(await leavesOf(patient, start, Math.min(start + KEY_LOG_MAX_LEAVES_PER_PAGE, after.treeSize)));
        page.items.forEach((leaf, i) => expect(leaf.leafIndex).toBe(start + i));
        for (const leaf of page.items) log.append(Buffer.from(keyLogLeafJson(leaf), 'utf8'));
      }
      expect(log.size).toBe(after.treeSize);
      expect(rootHash(after.treeSize, log.read).toString('base64url')).toBe(after.rootHash);
    });

    it('queues appends that meet at the log lock: registrations held there all land, one after another, in one tree', async () => {
      const requests = await Promise.all(Array.from({ length: 4 }, (_, i) => verifiedRegistration(api, {}, i % 2 ? 'doctor' : 'patient')));
      const before = ok(await headOf(patient));
      // The operator holds the log's lock: every registration stops at its append, all at once.
      const answers = await whileLocked(api, 'SELECT size FROM key_log_tree FOR UPDATE', [], requests.length, () =>
        Promise.all(requests.map((body) => testClient(api.baseUrl).send(ROUTES.register, { body }))),
      );
      expect(answers.map((answer) => answer.status)).toEqual(requests.map(() => 201));
      const after = ok(await headOf(patient));
      expect(after.treeSize).toBe(before.treeSize + requests.length);
      await expectExtends(before, after);
      const indices = await Promise.all(
        answers.map(async (answer) => {
          const proof = ok(await bindingOf(patient, answer.body.user.id, after.treeSize));
          expect(await verifyBindingProof(proof, answer.body.user.id, logKey)).toBe(true);
          return proof.binding.leafIndex;
        }),
      );
      expect(indices.sort((a, b) => a - b)).toEqual(requests.map((_, i) => before.treeSize + i));
    });

    it('keeps the log lock through the audit rows and never takes it holding a chain head: an erasure held at a patient’s chain head delays a registration, no deadlock', async () => {
      const doctor = await registerUser(api, 'doctor');
      const carer = await registerUser(api);
      const recordId = (await uploadRecord(carer)).summary.id;
      const consent = await carer.client.send(ROUTES.createConsent, {
        token: carer.token,
        body: { doctorId: doctor.userId, scope: 'record', recordId, wraps: [{ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }] },
      });
      expect(consent.status).toBe(201);
      const newcomer = await verifiedRegistration(api);
      // The doctor's erasure appends to the log, then at its commit writes the revocation into the patient's
      // trail, whose head the operator holds; the registration behind it waits for the log lock.
      const [erased, registered] = await whileLocked(api, 'SELECT 1 FROM audit_chain_heads WHERE subject_id = $1 FOR UPDATE', [carer.userId], 2, async () => {
        const erasure = doctor.client.send(ROUTES.eraseAccount, {
          token: doctor.token,
          body: { currentAuthKey: doctor.request.authKey, confirmation: ACCOUNT_ERASURE_CONFIRMATION },
        });
        await waitFor(async () => (await apiLockWaiters(api)) >= 1, 'the erasure waiting for the patient’s chain head');
        return Promise.all([erasure, testClient(api.baseUrl).send(ROUTES.register, { body: newcomer })]);
      });
      expect([erased.status, registered.status]).toEqual([200, 201]);
      const erasedLeaf = ok(await bindingOf(patient, doctor.userId)).binding;
      const registeredLeaf = ok(await bindingOf(patient, registered.body.user.id)).binding;
      expect(erasedLeaf.publicKey).toBeNull();
      expect(registeredLeaf.leafIndex).toBe(erasedLeaf.leafIndex + 1);
    });

    it('only grows: each size keeps its one head, and every head extends each earlier one', async () => {
      const heads = [ok(await headOf(patient))];
      for (let i = 0; i < 3; i++) {
        await registerUser(api);
        heads.push(ok(await headOf(patient)));
      }
      for (let i = 1; i < heads.length; i++) {
        expect(heads[i].treeSize).toBeGreaterThan(heads[i - 1].treeSize);
        await expectExtends(heads[i - 1], heads[i]);
        await expectExtends(heads[0], heads[i]);
      }
      // Asked again for an older size, the directory answers with the very head it signed then.
      for (const head of heads.slice(0, -1)) expect(ok(await bindingOf(patient, patient.userId, head.treeSize)).treeHead).toEqual(head);
      // The empty tree is extended by every tree; a size extends itself with an empty proof.
      expect(ok(await consistencyOf(patient, 0, heads[0].treeSize)).proof).toEqual([]);
      expect(ok(await consistencyOf(patient, heads[1].treeSize, heads[1].treeSize)).proof).toEqual([]);
    });

    it('gives the frontier of each kept size: with the leaves since, it rebuilds every later head’s root, so none can be left out', async () => {
      const heads = [ok(await headOf(patient))];
      for (let i = 0; i < 3; i++) {
        await registerUser(api);
        heads.push(ok(await headOf(patient)));
      }
      const latest = heads[heads.length - 1];
      const leaves = ok(await leavesOf(patient, heads[0].treeSize, latest.treeSize)).items;
      for (const head of heads) {
        const frontier = ok(await frontierOf(patient, head.treeSize));
        expect(frontier.treeSize).toBe(head.treeSize);
        // One hash per set bit of the size.
        expect(frontier.hashes).toHaveLength(head.treeSize.toString(2).replaceAll('0', '').length);
        const since = leaves.slice(head.treeSize - heads[0].treeSize);
        expect(await verifyLeafRange(head, latest, frontier, since)).toBe(true);
        if (since.length > 0) expect(await verifyLeafRange(head, latest, frontier, since.slice(1))).toBe(false);
      }
      expect(ok(await frontierOf(patient, 0))).toEqual({ treeSize: 0, hashes: [] });
    });

    it('answers for a tree size with that tree’s head and the account’s latest binding within it; none in a tree from before the account', async () => {
      const user = await registerUser(api);
      const latest = ok(await bindingOf(patient, user.userId));
      const index = latest.binding.leafIndex;
      const atItsTree = ok(await bindingOf(patient, user.userId, index + 1));
      expect(atItsTree.treeHead.treeSize).toBe(index + 1);
      expect(atItsTree.binding).toEqual(latest.binding);
      expect(await verifyInclusion(atItsTree.binding, index, atItsTree.inclusionProof, atItsTree.treeHead)).toBe(true);
      expect(await verifyTreeHead(atItsTree.treeHead, logKey)).toBe(true);
      const before = await bindingOf(patient, user.userId, index);
      expect(before.status).toBe(404);
      expect(before.error?.code).toBe('NOT_FOUND');
    });

    it('files each binding look-up in the key owner’s trail, as a key read', async () => {
      const doctor = await registerUser(api, 'doctor');
      ok(await bindingOf(patient, doctor.userId));
      const rows = await auditRowsOf(api, doctor.userId);
      expect(rows.at(-1)).toMatchObject({ action: 'key.read', outcome: 'allow', actor_id: patient.userId, actor_role: 'patient' });
      expect(rows.at(-1)?.reason).toMatch(/^key directory binding \d+ in tree \d+$/);
    });

    it('takes an account id in upper case as the same account, and answers in lower case', async () => {
      const lower = ok(await bindingOf(patient, patient.userId));
      const upper = ok(await bindingOf(patient, patient.userId.toUpperCase()));
      expect(upper).toEqual(lower);
      expect(upper.binding.userId).toBe(patient.userId.toLowerCase());
    });
  });

  describe('refusals', () => {
    /** A GET of a key-directory route, its query as written (sizes as text and repeated names on purpose). */
    interface Probe {
      route: AnyRoute;
      params?: Record<string, string>;
      query?: Record<string, unknown>;
    }
    const binding = (userId: string, treeSize?: number | string): Probe => ({ route: ROUTES.keyBinding, params: { id: userId }, query: { treeSize } });
    const consistency = (query: Record<string, unknown>): Probe => ({ route: ROUTES.keyLogConsistency, query });
    const leaves = (query: Record<string, unknown>): Probe => ({ route: ROUTES.keyLogLeaves, query });
    const frontier = (query: Record<string, unknown>): Probe => ({ route: ROUTES.keyLogFrontier, query });
    /** `{self}` in a probe's id stands for the patient's, known only once the file's accounts exist. */
    const sendProbe = (client: TestClient, probe: Probe, token?: string) =>
      client.unchecked().send(probe.route, { params: probe.params && { id: probe.params.id.replace('{self}', patient.userId) }, query: probe.query, token });
    const named = (probe: Probe) => `${probe.route.path} ${JSON.stringify(probe.query ?? {})}`;
    const routes = (): Probe[] => [
      { route: ROUTES.keyDirectoryHead },
      binding(patient.userId),
      consistency({ from: 1, to: 1 }),
      leaves({ start: 0, end: 1 }),
      frontier({ treeSize: 1 }),
      { route: ROUTES.clientState },
    ];

    it('refuses every route without a token, and with any forged or broken one, with 401', async () => {
      const anonymous = testClient(api.baseUrl);
      for (const probe of routes()) {
        const route = named(probe);
        expect({ route, status: (await sendProbe(anonymous, probe)).status }).toEqual({ route, status: 401 });
        for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
          expect({ route, kind, status: (await sendProbe(anonymous, probe, token)).status }).toEqual({ route, kind, status: 401 });
        }
      }
      const put = await anonymous.send(ROUTES.putClientState, { body: { expectedVersion: 0, sealed: sealedBlob() } });
      expect(put.status).toBe(401);
    });

    it.each([
      ['a tree size that is not a number', 'treeSize', binding('{self}', 'seven')],
      ['an empty tree size', 'treeSize', binding('{self}', '')],
      ['a tree size in exponent form', 'treeSize', binding('{self}', '1e3')],
      ['a negative tree size', 'treeSize', binding('{self}', '-1')],
      ['a tree size of 0 (no account is in the empty tree)', 'treeSize', binding('{self}', '0')],
      ['a fractional tree size', 'treeSize', binding('{self}', '1.5')],
      ['an account id that is no UUID', 'id', binding('not-a-uuid')],
      ['a consistency proof without from', 'from', consistency({ to: 3 })],
      ['a consistency proof without to', 'to', consistency({ from: 1 })],
      ['a consistency proof from a negative size', 'from', consistency({ from: -2, to: 3 })],
      ['a consistency proof from a larger size to a smaller', 'from', consistency({ from: 3, to: 2 })],
      ['two from parameters', 'from', consistency({ from: [1, 2], to: 3 })],
      ['leaves without start', 'start', leaves({ end: 3 })],
      ['leaves ending where they start', 'end', leaves({ start: 3, end: 3 })],
      ['more leaves than a page', 'end', leaves({ start: 0, end: KEY_LOG_MAX_LEAVES_PER_PAGE + 1 })],
      ['a query parameter the route does not take', 'limit', leaves({ start: 0, end: 1, limit: 3 })],
      ['a frontier without a tree size', 'treeSize', frontier({})],
      ['a frontier of a negative size', 'treeSize', frontier({ treeSize: -1 })],
      ['a frontier of a size that is not a number', 'treeSize', frontier({ treeSize: '3x' })],
    ])('answers %s with 400 naming %s', async (_what, field, probe) => {
      const response = await sendProbe(patient.client, probe, patient.token);
      expect(response.status).toBe(400);
      expect(response.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(response.error?.fields?.map((error) => error.field)).toContain(field);
    });

    it('answers an unknown account and sizes the log never had with 404', async () => {
      const head = ok(await headOf(patient));
      for (const probe of [
        binding(randomUUID()),
        binding(patient.userId, head.treeSize + 1000),
        consistency({ from: 1, to: head.treeSize + 1000 }),
        consistency({ from: head.treeSize + 1, to: head.treeSize + 1000 }),
        frontier({ treeSize: head.treeSize + 1000 }),
      ]) {
        const route = named(probe);
        const response = await sendProbe(patient.client, probe, patient.token);
        expect({ route, status: response.status, code: response.error?.code }).toEqual({ route, status: 404, code: 'NOT_FOUND' });
      }
      const beyond = ok(await leavesOf(patient, head.treeSize + 5, head.treeSize + 10));
      expect(beyond).toEqual({ start: head.treeSize + 5, end: head.treeSize + 5, items: [] });
    });
  });
});

describe('client state: the browser’s sealed memory across devices, written compare-and-set', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    [alice, bob] = await Promise.all([registerUser(api), registerUser(api, 'doctor')]);
  });
  afterAll(async () => {
    await api?.close();
  });

  const read = (user: Caller) => user.client.send(ROUTES.clientState, { token: user.token });
  const write = (user: Caller, body: PutClientStateRequest) => user.client.send(ROUTES.putClientState, { token: user.token, body });

  it('starts at version 0 with nothing, and each write on the current version moves it on by one', async () => {
    expect(ok(await read(alice))).toEqual({ version: 0, sealed: null });
    const first = sealedBlob(100);
    expect(ok(await write(alice, { expectedVersion: 0, sealed: first }))).toEqual({ version: 1 });
    expect(ok(await read(alice))).toEqual({ version: 1, sealed: first });
    const second = sealedBlob(200);
    expect(ok(await write(alice, { expectedVersion: 1, sealed: second }))).toEqual({ version: 2 });
    expect(ok(await read(alice))).toEqual({ version: 2, sealed: second });
    const trail = await auditRowsOf(api, alice.userId);
    expect(trail.filter((row) => row.action === 'account.client-state').map((row) => [row.outcome, row.reason])).toEqual([
      ['allow', 'version 1'],
      ['allow', 'version 2'],
    ]);
  });

  it('refuses a write on a version that is not the current one with 409, and keeps what is there', async () => {
    const before = ok(await read(alice));
    for (const expectedVersion of [0, before.version - 1, before.version + 1]) {
      const response = await write(alice, { expectedVersion, sealed: sealedBlob() });
      expect({ expectedVersion, status: response.status, code: response.error?.code }).toEqual({ expectedVersion, status: 409, code: 'CONFLICT' });
    }
    expect(ok(await read(alice))).toEqual(before);
  });

  it('lets one of several writes on the same version win; the others get 409', async () => {
    const { version } = ok(await read(alice));
    const answers = await Promise.all(Array.from({ length: 5 }, () => write(alice, { expectedVersion: version, sealed: sealedBlob(50) })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(ok(await read(alice)).version).toBe(version + 1);
  });

  it('keeps each account’s own: another account neither reads nor overwrites it', async () => {
    const mine = ok(await read(alice));
    expect(ok(await read(bob))).toEqual({ version: 0, sealed: null });
    const theirs = await write(bob, { expectedVersion: mine.version, sealed: sealedBlob() });
    expect(theirs.status).toBe(409);
    expect(ok(await write(bob, { expectedVersion: 0, sealed: sealedBlob(10) }))).toEqual({ version: 1 });
    expect(ok(await read(alice))).toEqual(mine);
  });

  it('refuses a blob over the limit with 413, at the limit takes it', async () => {
    const { version } = ok(await read(bob));
    const tooBig = await write(bob, { expectedVersion: version, sealed: randomBytes(CLIENT_STATE_MAX_BYTES + 1).toString('base64url') });
    expect(tooBig.status).toBe(413);
    expect(tooBig.error?.code).toBe('PAYLOAD_TOO_LARGE');
    const farTooBig = await write(bob, { expectedVersion: version, sealed: randomBytes(4 * CLIENT_STATE_MAX_BYTES).toString('base64url') });
    expect(farTooBig.status).toBe(413);
    const atLimit = randomBytes(CLIENT_STATE_MAX_BYTES).toString('base64url');
    expect(ok(await write(bob, { expectedVersion: version, sealed: atLimit }))).toEqual({ version: version + 1 });
    expect(ok(await read(bob)).sealed).toBe(atLimit);
  });

  it.each([
    ['a blob that is not base64url', 'sealed', { expectedVersion: 0, sealed: 'not base64url!' }],
    ['an empty blob', 'sealed', { expectedVersion: 0, sealed: '' }],
    ['no blob', 'sealed', { expectedVersion: 0 }],
    ['a null blob', 'sealed', { expectedVersion: 0, sealed: null }],
    ['no version', 'expectedVersion', { sealed: 'AAAA' }],
    ['a negative version', 'expectedVersion', { expectedVersion: -1, sealed: 'AAAA' }],
    ['a version as a string', 'expectedVersion', { expectedVersion: '1', sealed: 'AAAA' }],
    ['a field the contract does not have', 'version', { expectedVersion: 0, sealed: 'AAAA', version: 9 }],
  ])('answers %s with 400 naming %s', async (_what, field, body) => {
    // Bodies the contract forbids, on purpose.
    const response = await alice.client.unchecked().send(ROUTES.putClientState, { token: alice.token, body });
    expect(response.status).toBe(400);
    expect(response.error?.fields?.map((error) => error.field)).toContain(field);
  });
});

describe('the migration logs the key of every account made before the key directory', () => {
  let api: TestApp;
  let before: string;
  const adminUrl = process.env.PHR_TEST_ADMIN_URL ?? '';
  /** Accounts as the earlier schema held them, oldest first. */
  const accounts = [
    { id: randomUUID(), role: 'patient', createdAt: '2025-06-01T10:00:00.123456Z' },
    { id: randomUUID(), role: 'doctor', createdAt: '2025-06-02T11:30:00.5Z' },
    { id: randomUUID(), role: 'auditor', createdAt: '2025-06-03T12:00:00Z' },
    { id: randomUUID(), role: 'patient', createdAt: '2025-06-04T08:15:59.999999Z' },
    { id: randomUUID(), role: 'doctor', createdAt: '2025-06-05T09:00:00.001Z' },
  ];

  beforeAll(async () => {
    before = `phr_kd_before_${randomBytes(5).toString('hex')}`;
    const { ownerUrl } = await provisionDatabase(adminUrl, { database: before, ownerPassword: TEST_OWNER_PASSWORD, appPassword: TEST_APP_PASSWORD });
    await runMigrations(ownerUrl, MIGRATIONS.slice(0, MIGRATIONS.indexOf(KeyDirectory1765300000000)));
    await withClient(withDatabase(adminUrl, before), async (admin) => {
      for (const account of accounts) {
        await admin.query(`INSERT INTO users (id, email, display_name, role, created_at) VALUES ($1, $2, 'Earlier', $3, $4)`, [account.id, `${account.id}@example.org`, account.role, account.createdAt]);
        await admin.query(`INSERT INTO public_keys (user_id, public_key, fingerprint, created_at) VALUES ($1, $2, $3, $4)`, [account.id, rsaPublicKey(), fingerprintOf(rsaPublicKey()), account.createdAt]);
      }
    });
    await runMigrations(ownerUrl);
    // The API starts on a copy: it signs the head of the tree the migration built.
    api = await startTestApp({}, false, { template: before });
  });
  afterAll(async () => {
    await api?.close();
    await dropDatabase(adminUrl, before);
  });

  it('gives each its binding, in the order the keys were made, proven under the head signed at start', async () => {
    const startHead = (await api.adminQuery<{ tree_size: string }>('SELECT tree_size FROM key_log_heads ORDER BY tree_size')).map((row) => Number(row.tree_size));
    expect(startHead).toEqual([accounts.length]);
    const newcomer = await registerUser(api);
    const head = ok(await headOf(newcomer));
    expect(head.treeSize).toBe(accounts.length + 1);
    for (const [leafIndex, account] of accounts.entries()) {
      const answer = ok(await bindingOf(newcomer, account.id, accounts.length));
      expect(answer.binding).toEqual({
        leafIndex,
        userId: account.id,
        role: account.role,
        publicKey: rsaPublicKey(),
        fingerprint: fingerprintOf(rsaPublicKey()),
        boundAt: new Date(Math.floor(Date.parse(account.createdAt))).toISOString(),
      });
      expect(await verifyBindingProof(answer, account.id, api.config.keyLog.publicKey)).toBe(true);
      expect(await verifyTreeHead(answer.treeHead, api.config.keyLog.publicKey)).toBe(true);
      const proof = ok(await consistencyOf(newcomer, answer.treeHead.treeSize, head.treeSize));
      expect(await verifyConsistency(answer.treeHead, head, proof.proof)).toBe(true);
    }
  });

  it('refuses to start with another log key than the one that signed the heads', async () => {
    // The earlier database, with a head another log key signed (as a restart with a wrong KEY_LOG_SIGNING_KEY would find).
    const otherKey = createPrivateKey({ key: Buffer.from(newKeyLogSigningKey(), 'base64url'), format: 'der', type: 'pkcs8' });
    const head = signTreeHead(otherKey, 'ab'.repeat(32), 0, EMPTY_TREE_ROOT, new Date());
    await withClient(withDatabase(adminUrl, before), (admin) =>
      admin.query('INSERT INTO key_log_heads (tree_size, root_hash, issued_at, signature, key_id) VALUES ($1, $2, $3, $4, $5)', [
        head.treeSize,
        EMPTY_TREE_ROOT,
        head.issuedAt,
        Buffer.from(head.signature, 'base64url'),
        head.keyId,
      ]),
    );
    await expect(startTestApp({}, false, { template: before })).rejects.toThrow(/KEY_LOG_SIGNING_KEY is not the key that signed this key directory \(its heads carry keyId abab/);
  });
});
