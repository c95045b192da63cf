import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { AUDIT_ACCOUNTS_PAGE_DEFAULT, AUDIT_ACCOUNTS_PAGE_MAX, AUDIT_ACCOUNTS_SEARCH_MAX_CHARS, DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES, type AuditAccounts, type RouteName } from '@phr/shared-types';
import { NOTIFIABLE_SQL, NOTIFICATION_KIND_SQL } from '../src/notifications/notifiable.js';
import { auditRowsOf } from './support/audit.js';
import { insertAuditor, operatorOf, registerStaff, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient, type RouteResult } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { sentStatements } from './support/sql-statements.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf, sessionTokenFor } from './support/tokens.js';

/**
 * Names in the trail (docs/protocol.md "Names in the trail"): GET /audit/people gives the
 * display names of the people of a trail, only to those who may read it; GET
 * /audit/access-summary tells a patient who else opened their records in the last 30 days.
 */
describe('people in the trail and who accessed my records', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;
  let otherDoctor: RegisteredUser;
  let stranger: RegisteredUser;
  let recordIds: string[];

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api, 'patient', { displayName: 'Ada Patient' });
    doctor = await registerUser(api, 'doctor', { displayName: 'Sam Okafor' });
    otherDoctor = await registerUser(api, 'doctor', { displayName: 'Lee Unshared' });
    stranger = await registerUser(api, 'patient', { displayName: 'Nosy Stranger' });
    recordIds = [(await uploadRecord(patient)).summary.id, (await uploadRecord(patient)).summary.id];
    const wraps = recordIds.map((recordId) => ({ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }));
    const consent = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'all', wraps } });
    expect(consent.status).toBe(201);
    for (const id of [...recordIds, recordIds[0]]) expect((await doctor.client.send(ROUTES.getRecord, { params: { id }, token: doctor.token })).status).toBe(200);
    expect((await stranger.client.send(ROUTES.getRecord, { params: { id: recordIds[1] }, token: stranger.token })).status).toBe(404);
    expect((await patient.client.send(ROUTES.getRecord, { params: { id: recordIds[0] }, token: patient.token })).status).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
  });

  const people = (user: RegisteredUser, query: Record<string, string> = {}) => user.client.unchecked().send(ROUTES.auditPeople, { token: user.token, query });
  const names = (body: unknown) => (body as { people: Array<{ displayName: string }> }).people.map((person) => person.displayName);

  it('names a patient, and everyone who acted in their trail, to the patient', async () => {
    const response = await people(patient);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      people: [
        { id: patient.userId, displayName: 'Ada Patient', role: 'patient' },
        { id: stranger.userId, displayName: 'Nosy Stranger', role: 'patient' },
        { id: doctor.userId, displayName: 'Sam Okafor', role: 'doctor' },
      ],
    });
  });

  it('names only those of `ids` who acted in the caller’s own trail', async () => {
    const response = await people(patient, { ids: [doctor.userId, otherDoctor.userId, randomUUID()].join(',') });
    expect(names(response.body)).toEqual(['Sam Okafor']);
    // An account the patient never met stays unnamed, even asked for by id.
    expect(names((await people(stranger, { ids: doctor.userId })).body)).toEqual([]);
  });

  it('names any account to an auditor, and files the auditor’s read in the trail it named', async () => {
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const client = testClient(api.baseUrl);
    const one = await client.send(ROUTES.auditPeople, { token, query: { subjectId: patient.userId } });
    // The auditor's own read is in the trail before the names are read: the auditor is named too.
    expect(one.body.people.map((person) => person.displayName)).toEqual(['Ada Patient', 'Auditor', 'Nosy Stranger', 'Sam Okafor']);
    const byIds = await client.send(ROUTES.auditPeople, { token, query: { ids: `${otherDoctor.userId},${stranger.userId.toUpperCase()}` } });
    expect(byIds.body.people.map((person) => person.displayName)).toEqual(['Lee Unshared', 'Nosy Stranger']);
    const rows = await auditRowsOf(api, patient.userId);
    expect(rows.at(-1)).toMatchObject({ action: 'audit.read', actor_id: auditorId, outcome: 'allow', reason: 'one trail' });
  });

  it('lists every account to an auditor, a page at a time in id order, and files each page in the auditor’s own trail', async () => {
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const client = testClient(api.baseUrl);
    const seen: Array<{ id: string; displayName: string; role: string }> = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await client.send(ROUTES.auditAccounts, { token, query: { limit: 2, ...(after ? { after } : {}) } });
      expect(page.status).toBe(200);
      expect(page.body.accounts.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.accounts);
      pages += 1;
      if (page.body.nextAfter === null) break;
      expect(page.body.nextAfter).toBe(page.body.accounts.at(-1)?.id);
      after = page.body.nextAfter;
    }
    const rows = await api.adminQuery<{ id: string; display_name: string; role: string }>('SELECT id, display_name, role FROM users ORDER BY id');
    expect(seen).toEqual(rows.map((row) => ({ id: row.id, displayName: row.display_name, role: row.role })));
    expect(seen).toEqual(expect.arrayContaining([{ id: otherDoctor.userId, displayName: 'Lee Unshared', role: 'doctor' }, { id: auditorId, displayName: 'Auditor', role: 'auditor' }]));
    const filed = (await auditRowsOf(api, auditorId)).filter((row) => row.action === 'audit.read');
    expect(filed).toHaveLength(pages);
    expect(filed.every((row) => row.actor_id === auditorId && row.outcome === 'allow' && row.reason === 'the list of accounts')).toBe(true);
    // The default page and the last one: past the greatest id, nothing and no next page.
    expect((await client.send(ROUTES.auditAccounts, { token })).body.accounts).toHaveLength(Math.min(rows.length, AUDIT_ACCOUNTS_PAGE_DEFAULT));
    expect((await client.send(ROUTES.auditAccounts, { token, query: { after: 'ffffffff-ffff-4fff-bfff-ffffffffffff' } })).body).toEqual({ accounts: [], nextAfter: null });
  });

  it('finds accounts by the words of their shown name or role, any case and order, a page at a time past the first page of accounts, with the words in the body', async () => {
    const tag = randomBytes(4).toString('hex');
    const wanted = [await registerUser(api, 'doctor', { displayName: `Rare ${tag} Okafor` }), await registerUser(api, 'patient', { displayName: `rare ${tag.toUpperCase()} Person` })];
    await registerUser(api, 'patient', { displayName: `Other ${tag}` });
    await registerUser(api, 'patient', { displayName: `Rare 100% ${tag}_x` });
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const client = testClient(api.baseUrl);
    const search = (q: string, extra: { after?: string; limit?: number } = {}) => client.send(ROUTES.searchAuditAccounts, { token, body: { q, ...extra } });

    const found = await search(`${tag.toUpperCase()}   RARE`);
    expect(found.status).toBe(200);
    expect(found.body.accounts.map((account) => account.displayName).sort()).toEqual([`Rare ${tag} Okafor`, `Rare 100% ${tag}_x`, `rare ${tag.toUpperCase()} Person`].sort());
    expect(found.body.accounts.map((account) => account.id)).toEqual(found.body.accounts.map((account) => account.id).sort());
    expect(found.body.nextAfter).toBeNull();
    // The name as the portal shows it: "Dr" before a doctor's; and the role.
    expect((await search(`dr okafor ${tag}`)).body.accounts.map((account) => account.id)).toEqual([wanted[0].userId]);
    expect((await search(`${tag} rare patient person`)).body.accounts.map((account) => account.id)).toEqual([wanted[1].userId]);
    // LIKE's characters are taken as written.
    expect((await search(`${tag} 100%`)).body.accounts.map((account) => account.displayName)).toEqual([`Rare 100% ${tag}_x`]);
    expect((await search(`${tag}%`)).body.accounts).toEqual([]);
    expect((await search(`${tag}_`)).body.accounts.map((account) => account.displayName)).toEqual([`Rare 100% ${tag}_x`]);
    // A page at a time in id order.
    const first = await search(`rare ${tag}`, { limit: 2 });
    expect(first.body.accounts).toHaveLength(2);
    expect(first.body.nextAfter).toBe(first.body.accounts[1].id);
    const second = await search(`rare ${tag}`, { limit: 2, after: first.body.nextAfter ?? undefined });
    expect({ count: second.body.accounts.length, nextAfter: second.body.nextAfter }).toEqual({ count: 1, nextAfter: null });
    expect([...first.body.accounts, ...second.body.accounts].map((account) => account.id)).toEqual(found.body.accounts.map((account) => account.id));
    // Each search is filed as a read of the list of accounts in the auditor's own trail.
    const filed = (await auditRowsOf(api, auditorId)).filter((row) => row.action === 'audit.read');
    expect(filed.every((row) => row.reason === 'the list of accounts')).toBe(true);
    expect(filed).toHaveLength(8);
  });

  it('finds an account by a word few hold without reading the other accounts, and still pages a common word in id order', async () => {
    const tag = randomBytes(5).toString('hex');
    await api.adminQuery(
      `INSERT INTO users (id, email, display_name, role)
       SELECT gen_random_uuid(), 'many-' || $1 || '-' || n || '@example.test', 'Common Person ' || n, CASE WHEN n % 3 = 0 THEN 'doctor' ELSE 'patient' END FROM generate_series(1, 3000) AS n`,
      [tag],
    );
    const wanted = await registerUser(api, 'doctor', { displayName: `Zebulon ${tag}` });
    await api.adminQuery('ANALYZE users');
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const client = testClient(api.baseUrl);

    let found: RouteResult<AuditAccounts> | undefined;
    const statements = await sentStatements(api, async () => (found = await client.send(ROUTES.searchAuditAccounts, { token, body: { q: `DR ${tag.toUpperCase()}` } })));
    expect(found?.body.accounts.map((account) => account.id)).toEqual([wanted.userId]);
    const searching = statements.filter((statement) => /\baudit_accounts_matching\b/.test(statement.sql));
    expect(searching).toHaveLength(1);
    // The same statement as the same auditor: the rows of `users` it read, from the table's counters for the transaction.
    const admin = new pg.Client({ connectionString: api.database.adminUrl });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query('SET LOCAL ROLE phr_app');
      await admin.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', 'auditor', true)`, [auditorId]);
      expect((await admin.query(searching[0].sql, searching[0].parameters)).rows.map((row: { id: string }) => row.id)).toEqual([wanted.userId]);
      const { rows } = await admin.query<{ read: string }>(`SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS read FROM pg_stat_xact_user_tables WHERE relname = 'users'`);
      // The one account, not the 3,000 others (a walk in id order read them all).
      expect(Number(rows[0].read)).toBeLessThanOrEqual(3);
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
    }

    // A word most accounts hold fills its pages from the accounts in id order.
    const common = await client.send(ROUTES.searchAuditAccounts, { token, body: { q: 'common person', limit: 20 } });
    expect(common.body.accounts).toHaveLength(20);
    const ids = common.body.accounts.map((account) => account.id);
    expect(ids).toEqual([...ids].sort());
    const next = await client.send(ROUTES.searchAuditAccounts, { token, body: { q: 'common person', limit: 20, after: common.body.nextAfter ?? undefined } });
    expect(next.body.accounts).toHaveLength(20);
    expect(next.body.accounts[0].id > ids[19]).toBe(true);
  });

  it('matches letters beyond ASCII in any case, lower-casing the words as the names are (İ, É, Ł, Σ)', async () => {
    const tag = randomBytes(4).toString('hex');
    const wanted = await registerUser(api, 'patient', { displayName: `İlker Émile Łukasz Σοφία ${tag}` });
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const client = testClient(api.baseUrl);
    for (const q of [`İLKER ${tag}`, `ilker ${tag}`, `İlker ÉMILE ${tag}`, `émile łukasz ${tag}`, `ŁUKASZ ΣΟΦΊΑ ${tag}`, `σοφία ${tag}`]) {
      const found = await client.send(ROUTES.searchAuditAccounts, { token, body: { q } });
      expect({ q, ids: found.body.accounts.map((account) => account.id) }).toEqual({ q, ids: [wanted.userId] });
    }
  });

  it('matches a Greek word whatever its sigma: a final ς is a σ, in the names and in the words', async () => {
    const tag = randomBytes(4).toString('hex');
    // Lower-cased, 'ΟΔΥΣΣΈΑΣ' ends in σ (PostgreSQL's lower() maps Σ to σ wherever it stands) and 'Οδυσσέας' in ς.
    const mixed = await registerUser(api, 'patient', { displayName: `Οδυσσέας ${tag}` });
    const capitals = await registerUser(api, 'patient', { displayName: `ΝΙΚΟΛΑΟΣ ${tag}` });
    const auditorId = await insertAuditor(api.adminQuery);
    const token = await sessionTokenFor(api, auditorId, 'auditor');
    const client = testClient(api.baseUrl);
    const cases: Array<[string, string]> = [
      [`ΟΔΥΣΣΈΑΣ ${tag}`, mixed.userId],
      [`οδυσσέας ${tag}`, mixed.userId],
      [`οδυσσέασ ${tag}`, mixed.userId],
      [`νικολαος ${tag}`, capitals.userId],
      [`Νικόλαος ${tag}`.normalize('NFD').replace(/\p{M}/gu, ''), capitals.userId],
      [`ΝΙΚΟΛΑΟΣ ${tag}`, capitals.userId],
    ];
    for (const [q, id] of cases) {
      const found = await client.send(ROUTES.searchAuditAccounts, { token, body: { q } });
      expect({ q, ids: found.body.accounts.map((account) => account.id) }).toEqual({ q, ids: [id] });
    }
  });

  it('lets a read-only API token search accounts (a POST that only reads), and still refuses it a write', async () => {
    const auditor = await registerStaff(api, 'auditor');
    const issued = await auditor.client.send(ROUTES.issueApiToken, { token: auditor.token, body: { label: 'search' } });
    const client = testClient(api.baseUrl);
    const found = await client.send(ROUTES.searchAuditAccounts, { token: issued.body.accessToken, body: { q: 'Sam Okafor' } });
    expect(found.status).toBe(200);
    expect(found.body.accounts.map((account) => account.id)).toContain(doctor.userId);
    const write = await client.unchecked().send(ROUTES.issueApiToken, { token: issued.body.accessToken, body: { label: 'another' } });
    expect(write.status).toBe(403);
  });

  it('lists no account to anyone else: a 403 for patients, doctors and operators, and the function answers no row', async () => {
    const operator = await operatorOf(api);
    for (const user of [patient, doctor, operator]) {
      const response = await user.client.send(ROUTES.auditAccounts, { token: user.token });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe(ERROR_CODES.forbidden);
      const search = await user.client.send(ROUTES.searchAuditAccounts, { token: user.token, body: { q: 'Okafor' } });
      expect(search.status).toBe(403);
    }
    // Under the guard, the definer function decides again: as the application role with a patient's context, no row.
    const client = new pg.Client({ connectionString: api.database.appUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', 'patient', true)`, [patient.userId]);
      expect((await client.query('SELECT * FROM audit_accounts(NULL, 100)')).rows).toEqual([]);
      expect((await client.query(`SELECT * FROM audit_accounts_matching(ARRAY['%'], NULL, 100)`)).rows).toEqual([]);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });

  it('refuses a patient naming another subject’s trail with a 403 filed in that trail', async () => {
    const response = await people(stranger, { subjectId: patient.userId });
    expect(response.status).toBe(403);
    const rows = await auditRowsOf(api, patient.userId);
    expect(rows.at(-1)).toMatchObject({ action: 'audit.read', actor_id: stranger.userId, outcome: 'deny' });
  });

  it('sums up who else opened the patient’s records in the last 30 days, leaving the patient out', async () => {
    const response = await patient.client.send(ROUTES.accessSummary, { token: patient.token });
    expect(response.status).toBe(200);
    expect(Date.now() - Date.parse(response.body.since)).toBeGreaterThanOrEqual(30 * 86_400_000 - 60_000);
    expect(response.body.people.map(({ lastAt: _lastAt, ...entry }) => entry)).toEqual([
      { actorId: stranger.userId, displayName: 'Nosy Stranger', role: 'patient', reads: 0, records: 0, denied: 1 },
      { actorId: doctor.userId, displayName: 'Sam Okafor', role: 'doctor', reads: 3, records: 2, denied: 0 },
    ]);
    // Another patient's summary holds none of it.
    expect((await stranger.client.send(ROUTES.accessSummary, { token: stranger.token })).body.people).toEqual([]);
  });

  describe('refusals', () => {
    const routes: RouteName[] = ['auditPeople', 'auditAccounts', 'searchAuditAccounts', 'accessSummary'];

    it.each(routes)('%s answers 401 without a token and with forged tokens', async (name) => {
      const client = testClient(api.baseUrl);
      expect((await client.unchecked().send(ROUTES[name], {})).status).toBe(401);
      for (const [what, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
        expect([what, (await client.unchecked().send(ROUTES[name], { token })).status]).toEqual([what, 401]);
      }
    });

    it('accessSummary answers 403 to a doctor and an auditor', async () => {
      expect((await doctor.client.send(ROUTES.accessSummary, { token: doctor.token })).status).toBe(403);
      const auditorId = await insertAuditor(api.adminQuery);
      const response = await testClient(api.baseUrl).send(ROUTES.accessSummary, { token: await sessionTokenFor(api, auditorId, 'auditor') });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe(ERROR_CODES.forbidden);
    });

    it.each([
      ['an id that is none', { ids: 'not-an-id' }, 'ids'],
      ['a trailing comma', { ids: `${randomUUID()},` }, 'ids'],
      ['101 ids', { ids: Array.from({ length: 101 }, () => randomUUID()).join(',') }, 'ids'],
      ['a subject that is no id', { subjectId: 'nobody' }, 'subjectId'],
      ['a filter it does not know', { name: 'Sam' }, 'name'],
    ])('auditPeople refuses %s with a 400 naming the field', async (_what, query, field) => {
      const response = await people(patient, query);
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it.each([
      ['an after that is no id', { after: 'Sam Okafor' }, 'after'],
      ['a limit of 0', { limit: '0' }, 'limit'],
      ['a limit over the page size', { limit: String(AUDIT_ACCOUNTS_PAGE_MAX + 1) }, 'limit'],
      ['a limit that is no number', { limit: 'all' }, 'limit'],
      ['a search term it does not take', { q: 'Sam' }, 'q'],
    ])('auditAccounts refuses %s with a 400 naming the field', async (_what, query, field) => {
      const auditorId = await insertAuditor(api.adminQuery);
      const token = await sessionTokenFor(api, auditorId, 'auditor');
      const response = await testClient(api.baseUrl).unchecked().send(ROUTES.auditAccounts, { token, query });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it.each([
      ['no q', {}, 'q'],
      ['a q of spaces', { q: '   ' }, 'q'],
      ['a q that is no text', { q: 42 }, 'q'],
      [`a q over ${AUDIT_ACCOUNTS_SEARCH_MAX_CHARS} characters`, { q: 'x'.repeat(AUDIT_ACCOUNTS_SEARCH_MAX_CHARS + 1) }, 'q'],
      ['an after that is no id', { q: 'Sam', after: 'Sam Okafor' }, 'after'],
      ['a limit over the page size', { q: 'Sam', limit: AUDIT_ACCOUNTS_PAGE_MAX + 1 }, 'limit'],
      ['a field it does not know', { q: 'Sam', email: 'sam@example.org' }, 'email'],
    ])('searchAuditAccounts refuses %s with a 400 naming the field', async (_what, body, field) => {
      const auditorId = await insertAuditor(api.adminQuery);
      const token = await sessionTokenFor(api, auditorId, 'auditor');
      const response = await testClient(api.baseUrl).unchecked().send(ROUTES.searchAuditAccounts, { token, body });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });
  });

  it('reads notifications and the unread count through the partial index, and actors by skipping through theirs', async () => {
    const client = new pg.Client({ connectionString: api.database.adminUrl });
    await client.connect();
    try {
      // Off, a plan that cannot use an index still scans the table: only a usable index avoids it.
      await client.query('SET enable_seqscan = off');
      const plan = async (sql: string, params: unknown[]) => JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows);
      const list = await plan(
        `SELECT *, ${NOTIFICATION_KIND_SQL} AS kind FROM audit_events WHERE subject_id = $1 AND ${NOTIFIABLE_SQL} AND ${NOTIFICATION_KIND_SQL} <> ALL ($2::text[]) AND ($3::bigint IS NULL OR seq < $3) ORDER BY seq DESC LIMIT $4`,
        [patient.userId, [], null, 20],
      );
      expect(list).toContain('audit_events_notifications');
      const count = await plan(
        `SELECT count(*) FROM (SELECT 1 FROM audit_events WHERE subject_id = $1 AND ${NOTIFIABLE_SQL} AND ${NOTIFICATION_KIND_SQL} <> ALL ($2::text[]) AND seq > $3 ORDER BY seq DESC LIMIT $4) AS unread`,
        [patient.userId, [], 0, 100],
      );
      expect(count).toContain('audit_events_notifications');
      const actors = await plan('SELECT actor_id FROM audit_events WHERE subject_id = $1 AND actor_id > $2 ORDER BY actor_id LIMIT 1', [patient.userId, randomUUID()]);
      expect(actors).toContain('audit_events_subject_actor');
      expect(list + count + actors).not.toContain('Seq Scan');
    } finally {
      await client.end();
    }
  });
});
