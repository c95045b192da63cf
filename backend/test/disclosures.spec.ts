import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  ACCESS_REPORT_MAX_MS,
  BALP_PATIENT_READ_PROFILE,
  DOCTOR_WRAP_BYTES,
  FHIR_CONTENT_TYPE,
  ROUTES,
  disclosureBasis,
  type AccessReportEntry,
  type FhirAuditEvent,
  type FhirBundle,
  type FhirConsent,
  type FhirSearchQuery,
} from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { fhirR4Validator, type FhirValidator } from './support/fhir-schema.js';
import { insertAuditor, operatorOf, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf, sessionTokenFor } from './support/tokens.js';

const YEAR_MS = 365 * 86_400_000;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

/**
 * The accounting of disclosures (HIPAA 164.528) and the FHIR R4 exports (issue 16; docs/protocol.md
 * "Access report", "FHIR exports"), after a real consent and real reads by the doctor.
 */
describe('access report and FHIR exports', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let doctor: RegisteredUser;
  let stranger: RegisteredUser;
  let auditorToken: string;
  let operator: RegisteredUser;
  let recordIds: string[];
  let consentId: string;
  let bundleSchema: FhirValidator;
  let started: string;

  beforeAll(async () => {
    api = await startTestApp();
    started = new Date(Date.now() - 60_000).toISOString();
    patient = await registerUser(api, 'patient', { displayName: 'Ada Patient' });
    doctor = await registerUser(api, 'doctor', { displayName: 'Sam Okafor' });
    stranger = await registerUser(api, 'patient', { displayName: 'Nosy Stranger' });
    auditorToken = await sessionTokenFor(api, await insertAuditor(api.adminQuery), 'auditor');
    operator = await operatorOf(api);
    recordIds = [(await uploadRecord(patient)).summary.id, (await uploadRecord(patient)).summary.id];
    const wraps = recordIds.map((recordId) => ({ recordId, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }));
    const consent = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'all', wraps } });
    expect(consent.status).toBe(201);
    consentId = consent.body.id;
    for (const id of [recordIds[0], recordIds[1], recordIds[0]]) expect((await doctor.client.send(ROUTES.getRecord, { params: { id }, token: doctor.token })).status).toBe(200);
    // Neither the patient's own read nor a refused one is a disclosure.
    expect((await patient.client.send(ROUTES.getRecord, { params: { id: recordIds[0] }, token: patient.token })).status).toBe(200);
    expect((await stranger.client.send(ROUTES.getRecord, { params: { id: recordIds[1] }, token: stranger.token })).status).toBe(404);
    bundleSchema = fhirR4Validator('Bundle');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  const period = (): Record<string, string> => ({ from: started, to: new Date(Date.now() + 60_000).toISOString() });
  const report = (user: { token: string }, query: Record<string, string | number | undefined>) =>
    testClient(api.baseUrl).unchecked().send(ROUTES.accessReport, { token: user.token, query });

  describe('GET /audit/access-report', () => {
    it('lists each read by the doctor, oldest first, with name, role, basis and the row’s seq and hash in the chain', async () => {
      const response = await report(patient, { ...period() });
      expect(response.status).toBe(200);
      const items = (response.body as { items: AccessReportEntry[] }).items;
      expect(items.map((item) => [item.actorName, item.actorRole, item.recordId, item.basis, item.reason, item.consentId])).toEqual([
        ['Sam Okafor', 'doctor', recordIds[0], 'consent', 'consented doctor', consentId],
        ['Sam Okafor', 'doctor', recordIds[1], 'consent', 'consented doctor', consentId],
        ['Sam Okafor', 'doctor', recordIds[0], 'consent', 'consented doctor', consentId],
      ]);
      const rows = await auditRowsOf(api, patient.userId);
      for (const item of items) {
        const row = rows.find((candidate) => Number(candidate.seq) === item.seq);
        expect([row?.action, row?.outcome, row?.actor_id, row?.hash, row?.occurred_at.toISOString()]).toEqual(['record.read', 'allow', doctor.userId, item.hash, item.occurredAt]);
      }
      expect(items.map((item) => item.occurredAt)).toEqual([...items.map((item) => item.occurredAt)].sort());
    });

    it('files each report asked for in the patient’s trail, naming the period, once per report (not per page)', async () => {
      const query = period();
      const before = (await auditRowsOf(api, patient.userId)).length;
      const first = await report(patient, { ...query, limit: 1 });
      expect(first.status).toBe(200);
      const cursor = (first.body as { nextCursor: string }).nextCursor;
      expect(typeof cursor).toBe('string');
      expect((await report(patient, { ...query, limit: 1, cursor })).status).toBe(200);
      const added = (await auditRowsOf(api, patient.userId)).slice(before);
      expect(added.map((row) => [row.action, row.outcome, row.actor_id, row.reason])).toEqual([['audit.access-report', 'allow', patient.userId, `period ${query.from} to ${query.to}`]]);
    });

    it('pages by keyset: the pages of one row each give the rows of the unpaged report, each once', async () => {
      const query = period();
      const whole = ((await report(patient, query)).body as { items: AccessReportEntry[] }).items.map((item) => item.seq);
      const paged: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await report(patient, { ...query, limit: 1, ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        const body = page.body;
        paged.push(...body.items.map((item) => item.seq));
        cursor = body.nextCursor;
      } while (cursor);
      expect(paged).toEqual(whole);
      expect(whole).toHaveLength(3);
    });

    it('shows only reads inside the period', async () => {
      const before = await report(patient, { from: new Date(Date.parse(started) - YEAR_MS).toISOString(), to: started });
      expect(before.status).toBe(200);
      expect((before.body as { items: unknown[] }).items).toEqual([]);
    });

    it('gives another patient only their own report: nobody read their records', async () => {
      const response = await report(stranger, period());
      expect(response.status).toBe(200);
      expect((response.body as { items: unknown[] }).items).toEqual([]);
    });

    it('takes a period of exactly six years', async () => {
      const to = new Date().toISOString();
      expect((await report(patient, { from: new Date(Date.parse(to) - ACCESS_REPORT_MAX_MS).toISOString(), to })).status).toBe(200);
    });

    it.each([
      ['a period longer than six years', () => ({ from: new Date(Date.now() - ACCESS_REPORT_MAX_MS - 86_400_000).toISOString(), to: new Date().toISOString() }), 'to'],
      ['an end before the start', () => ({ from: new Date().toISOString(), to: started }), 'to'],
      ['an empty period', () => ({ from: started, to: started }), 'to'],
      ['no start', () => ({ to: started }), 'from'],
      ['a start that is no time', () => ({ from: 'yesterday', to: started }), 'from'],
      ['a cursor it did not issue', () => ({ ...period(), cursor: 'bm90LWEtY3Vyc29y' }), 'cursor'],
      ['a limit of 0', () => ({ ...period(), limit: 0 }), 'limit'],
      ['another patient named', () => ({ ...period(), subjectId: patient.userId }), 'subjectId'],
    ])('refuses %s with a 400 naming the field', async (_what, query, field) => {
      const response = await report(stranger, query());
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it('answers 403 to a doctor, an auditor and an operator, and files the refusal', async () => {
      for (const [token, id] of [
        [doctor.token, doctor.userId],
        [auditorToken, null],
        [operator.token, operator.userId],
      ] as const) {
        const before = id ? (await auditRowsOf(api, id)).length : 0;
        expect((await report({ token }, period())).status).toBe(403);
        if (id) expect((await auditRowsOf(api, id)).slice(before).map((row) => [row.action, row.outcome])).toEqual([['route.access', 'deny']]);
      }
    });

    it('answers 401 without a token and to a forged or tampered one', async () => {
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.accessReport, { query: period() })).status).toBe(401);
      for (const [what, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
        expect([what, (await report({ token }, period())).status]).toEqual([what, 401]);
      }
    });

    it('reads a page of a trail of 50 000 reads (half the patient’s own) among 200 000 with one index range scan per page that stops at the page, no sort (the existing indexes suffice)', async () => {
      const client = new pg.Client({ connectionString: api.database.adminUrl });
      await client.connect();
      const busy = randomUUID();
      try {
        // A busy patient's trail as the service would hold it, every other read their own (chain triggers off: it is never read as a
        // chain here), and 150 000 rows of 1 500 other trails; rolled back after.
        await client.query('BEGIN');
        await client.query('SET LOCAL session_replication_role = replica');
        await client.query(
          `INSERT INTO audit_events (subject_id, seq, occurred_at, actor_id, actor_role, action, outcome, reason, record_id, prev_hash, hash)
           SELECT $1::uuid, n, now() - make_interval(secs => n), CASE WHEN n % 2 = 0 THEN $1::uuid ELSE gen_random_uuid() END, 'doctor', 'record.read', 'allow',
                  'consented doctor', gen_random_uuid(), repeat('0', 64), repeat('1', 64)
             FROM generate_series(1, 50000) AS n
           UNION ALL
           SELECT s.id, n, now() - make_interval(mins => n), gen_random_uuid(), 'doctor', 'record.read', 'allow', 'consented doctor', gen_random_uuid(), repeat('0', 64), repeat('1', 64)
             FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 1500)) AS s, generate_series(1, 100) AS n`,
          [busy],
        );
        await client.query('ANALYZE audit_events');
        const explain = async (subject: string): Promise<PlanNode[]> => {
          const [{ 'QUERY PLAN': [plan] }] = (
            await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
              `EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM audit_events
                WHERE subject_id = $1 AND action = 'record.read' AND outcome = 'allow' AND actor_id IS NOT NULL AND actor_id <> $1
                  AND occurred_at >= $2 AND occurred_at < $3 AND (occurred_at, seq) > ($2::timestamptz, $4::bigint)
                ORDER BY occurred_at, seq LIMIT $5`,
              [subject, new Date(Date.now() - 6 * YEAR_MS).toISOString(), new Date().toISOString(), -1, 201],
            )
          ).rows;
          return flatten(plan.Plan);
        };
        // The busy patient: one index range scan in the page's order (no sort), bounded by the patient and the period, that stops at the page.
        const busyPlan = await explain(busy);
        expect(busyPlan.map((node) => node['Node Type'])).toEqual(['Limit', 'Index Scan']);
        const scan = busyPlan[1];
        expect(scan['Index Cond']).toContain('subject_id =');
        expect(scan['Index Cond']).toContain('occurred_at >=');
        expect(scan['Actual Rows']).toBe(201);
        expect(scan['Rows Removed by Filter'] ?? 0).toBeLessThan(250);
        // A quiet patient among them: no more rows looked at than the patient's own trail holds.
        const trail = (await auditRowsOf(api, patient.userId)).length;
        const quietPlan = await explain(patient.userId);
        expect(quietPlan.map((node) => node['Node Type'])).not.toContain('Seq Scan');
        const examined = quietPlan.filter((node) => node['Relation Name'] === 'audit_events').reduce((sum, node) => sum + (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0), 0);
        expect(examined).toBeLessThanOrEqual(trail);
      } finally {
        await client.query('ROLLBACK');
        await client.end();
      }
    }, 300_000);
  });

  describe('the basis of a read', () => {
    it.each([
      ['consented doctor', 'consent'],
      ['trusted contact', 'trusted-contact'],
      ['break-glass', 'emergency'],
      ['Consented doctor', 'other'],
      ['consented doctor ', 'other'],
      ['toString', 'other'],
      [null, 'other'],
    ])('maps the reason %p to %p (exact match only)', (reason, basis) => {
      expect(disclosureBasis(reason)).toBe(basis);
    });
  });

  describe('GET /fhir/AuditEvent', () => {
    const fhir = (token: string | undefined, query: FhirSearchQuery | Record<string, string> = {}) =>
      testClient(api.baseUrl).unchecked().send(ROUTES.fhirAuditEvents, { ...(token ? { token } : {}), query: query as Record<string, unknown> });

    /** Every page of a search, following `next` links. */
    async function allPages(token: string, query: FhirSearchQuery): Promise<Array<FhirBundle<FhirAuditEvent>>> {
      const pages: Array<FhirBundle<FhirAuditEvent>> = [];
      let next: FhirSearchQuery | null = query;
      while (next) {
        const response = await fhir(token, next);
        expect(response.status).toBe(200);
        const bundle = response.body;
        pages.push(bundle);
        const link = bundle.link.find((candidate) => candidate.relation === 'next');
        next = link ? (Object.fromEntries(new URL(link.url).searchParams)) : null;
      }
      return pages;
    }

    it('exports the patient’s trail as a FHIR R4 Bundle of AuditEvents that the official schema accepts, as application/fhir+json', async () => {
      const response = await fhir(patient.token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(FHIR_CONTENT_TYPE);
      const result = bundleSchema(response.body);
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
      const bundle = response.body;
      expect(bundle.type).toBe('searchset');
      expect(bundle.entry).toHaveLength((await auditRowsOf(api, patient.userId)).length);
    });

    it('maps a doctor’s read to IHE BALP PatientRead: rest/read, the doctor as requestor, client, server, observer, patient and record, purpose TREAT', async () => {
      const bundle = (await fhir(patient.token)).body;
      const read = bundle.entry.map((entry) => entry.resource).find((event) => event.meta?.profile?.includes(BALP_PATIENT_READ_PROFILE) && event.agent[0].who?.display === 'Sam Okafor');
      expect(read).toBeDefined();
      const event = read as FhirAuditEvent;
      expect(event.type.code).toBe('rest');
      expect(event.subtype?.map((coding) => coding.code)).toEqual(['read', 'record.read']);
      expect([event.action, event.outcome]).toEqual(['R', '0']);
      expect(event.agent.map((agent) => [agent.type?.coding?.[0].code, agent.requestor])).toEqual([
        ['IRCP', true],
        ['110153', false],
        ['110152', false],
      ]);
      expect(event.agent[0].who?.identifier?.value).toBe(`urn:uuid:${doctor.userId}`);
      expect(event.source.observer.display).toBe('phr-api');
      expect(event.entity?.map((entity) => [entity.role?.code, entity.what?.identifier?.value ?? entity.what?.reference])).toEqual([
        ['1', `urn:uuid:${patient.userId}`],
        ['4', `urn:uuid:${recordIds[0]}`],
        ['4', `Consent/${consentId}`],
      ]);
      expect(event.purposeOfEvent?.[0].coding?.[0].code).toBe('TREAT');
    });

    it('pages with Bundle.link next, in chain order, each row once', async () => {
      const pages = await allPages(patient.token, { _count: 4 });
      expect(pages.length).toBeGreaterThan(2);
      for (const page of pages) expect(bundleSchema(page).valid).toBe(true);
      const ids = pages.flatMap((page) => page.entry.map((entry) => Number(entry.resource.id.split('-').at(-1))));
      expect(ids).toEqual(ids.map((_id, index) => index + 1));
    });

    it('gives a doctor and an operator their own trail only', async () => {
      for (const user of [doctor, operator]) {
        const bundle = (await fhir(user.token)).body;
        expect(bundle.entry.length).toBeGreaterThan(0);
        expect(bundle.entry.every((entry) => entry.resource.id.startsWith(user.userId))).toBe(true);
      }
    });

    it('gives an auditor any patient’s trail, and files the read in that trail', async () => {
      const before = (await auditRowsOf(api, patient.userId)).length;
      const response = await fhir(auditorToken, { patient: patient.userId });
      expect(response.status).toBe(200);
      expect((response.body).entry.every((entry) => entry.resource.id.startsWith(patient.userId))).toBe(true);
      const added = (await auditRowsOf(api, patient.userId)).slice(before);
      expect(added.map((row) => [row.action, row.outcome, row.actor_role, row.reason])).toEqual([['audit.export', 'allow', 'auditor', 'FHIR AuditEvent bundle']]);
    });

    it('refuses another patient’s trail to a patient (403) and files the refusal in that trail', async () => {
      const before = (await auditRowsOf(api, patient.userId)).length;
      expect((await fhir(stranger.token, { patient: patient.userId })).status).toBe(403);
      const added = (await auditRowsOf(api, patient.userId)).slice(before);
      expect(added.map((row) => [row.action, row.outcome, row.actor_id])).toEqual([['audit.export', 'deny', stranger.userId]]);
    });

    it('answers 401 without a token and to a forged one', async () => {
      expect((await fhir(undefined)).status).toBe(401);
      for (const [what, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
        expect([what, (await fhir(token)).status]).toEqual([what, 401]);
      }
    });

    it.each([
      ['a patient that is no id', { patient: 'ada' }, 'patient'],
      ['a page of 0', { _count: '0' }, '_count'],
      ['a page over the maximum', { _count: '501' }, '_count'],
      ['a cursor it did not issue', { cursor: 'bm9wZQ' }, 'cursor'],
      ['a parameter it does not know', { date: 'ge2020' }, 'date'],
    ])('refuses %s with a 400 naming the field', async (_what, query, field) => {
      const response = await fhir(patient.token, query);
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });
  });

  describe('GET /fhir/Consent', () => {
    const fhir = (token: string | undefined, query: FhirSearchQuery | Record<string, string> = {}) =>
      testClient(api.baseUrl).unchecked().send(ROUTES.fhirConsents, { ...(token ? { token } : {}), query: query as Record<string, unknown> });
    const consentsOf = (body: unknown) => (body as FhirBundle<FhirConsent>).entry.map((entry) => entry.resource);

    it('exports the patient’s consent as a FHIR R4 Consent the official schema accepts: privacy scope, the patient, the doctor, the period', async () => {
      const response = await fhir(patient.token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(FHIR_CONTENT_TYPE);
      const result = bundleSchema(response.body);
      expect(result.errors).toEqual([]);
      const [consent] = consentsOf(response.body);
      expect(consent.id).toBe(consentId);
      expect([consent.status, consent.scope.coding?.[0].code, consent.category[0].coding?.[0].code]).toEqual(['active', 'patient-privacy', '59284-0']);
      expect(consent.patient?.identifier?.value).toBe(`urn:uuid:${patient.userId}`);
      expect(consent.performer?.[0].identifier?.value).toBe(`urn:uuid:${patient.userId}`);
      expect(consent.provision?.actor?.[0].reference).toMatchObject({ identifier: { value: `urn:uuid:${doctor.userId}` }, display: 'Sam Okafor' });
      expect(consent.provision?.period?.start).toEqual(expect.any(String));
      expect(consent.provision?.period?.end).toBeUndefined();
      expect(consent.provision?.data).toBeUndefined();
    });

    it('gives the doctor the consents naming them, and an auditor any patient’s (filed in that trail)', async () => {
      expect(consentsOf((await fhir(doctor.token)).body).map((consent) => consent.id)).toEqual([consentId]);
      const before = (await auditRowsOf(api, patient.userId)).length;
      expect(consentsOf((await fhir(auditorToken, { patient: patient.userId })).body).map((consent) => consent.id)).toEqual([consentId]);
      expect((await auditRowsOf(api, patient.userId)).slice(before).map((row) => [row.action, row.reason])).toEqual([['audit.export', 'FHIR Consent bundle']]);
      expect(consentsOf((await fhir(auditorToken)).body)).toEqual([]);
      expect(consentsOf((await fhir(operator.token)).body)).toEqual([]);
      expect(consentsOf((await fhir(stranger.token)).body)).toEqual([]);
    });

    it('refuses another patient’s consents to a patient (403), and 401 without a token', async () => {
      expect((await fhir(stranger.token, { patient: patient.userId })).status).toBe(403);
      expect((await fhir(undefined)).status).toBe(401);
      expect((await fhir(patient.token, { patient: randomUUID().slice(0, 8) })).status).toBe(400);
    });

    it('pages consents with a next link, and shows a revoked one as inactive with the end of its period', async () => {
      const record = recordIds[1];
      const second = await patient.client.send(ROUTES.createConsent, {
        token: patient.token,
        body: { doctorId: doctor.userId, scope: 'record', recordId: record, wraps: [{ recordId: record, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }] },
      });
      expect(second.status).toBe(201);
      expect((await patient.client.send(ROUTES.updateConsent, { params: { id: second.body.id }, token: patient.token, body: { status: 'revoked' } })).status).toBe(200);
      const first = await fhir(patient.token, { _count: '1' });
      const link = (first.body).link.find((candidate) => candidate.relation === 'next');
      expect(link).toBeDefined();
      const rest = await fhir(patient.token, Object.fromEntries(new URL(link?.url as string).searchParams));
      expect(bundleSchema(rest.body).errors).toEqual([]);
      const revoked = consentsOf(rest.body);
      expect(revoked.map((consent) => [consent.id, consent.status, consent.provision?.data?.[0].reference.identifier?.value])).toEqual([[second.body.id, 'inactive', `urn:uuid:${record}`]]);
      expect(revoked[0].provision?.period?.end).toEqual(expect.any(String));
      expect((rest.body).link.some((candidate) => candidate.relation === 'next')).toBe(false);
    });
  });
});
