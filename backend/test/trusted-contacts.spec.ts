import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES, type NameTrustedContactRequest, type TrustedContact } from '@phr/shared-types';
import { TrustedContactsRepository } from '../src/trusted-contacts/trusted-contacts.module.js';
import { Db } from '../src/db/db.service.js';
import { NotificationMailer } from '../src/notifications/notification-mailer.js';
import { auditRowsOf, type AuditRow } from './support/audit.js';
import { fingerprintOf, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { commit, commitRequest, presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open wraps, the browser suite makes real ones. */
const contactWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

describe('trusted contacts: named by the patient, released only after a request and the whole wait (docs/protocol.md "Trusted contacts")', () => {
  let api: TestApp;
  let appRole: pg.Client;

  beforeAll(async () => {
    // A gap of a second between notification mails: each test's request is mailed on its own.
    api = await startTestApp({ NOTIFICATION_MAIL_GAP_SECONDS: '1' });
    appRole = new pg.Client({ connectionString: api.database.appUrl });
    await appRole.connect();
  });
  afterAll(async () => {
    await appRole?.end();
    await api?.close();
  });

  /** A patient with two records (one in a folder), and another patient to name. */
  async function family() {
    const patient = await registerUser(api);
    const contact = await registerUser(api);
    const folderId = (await patient.client.send(ROUTES.createFolder, { token: patient.token, body: { name: sealedBlob(20) } })).body.id;
    const loose = await uploadRecord(patient, 300);
    const filed = await uploadRecord(patient, 500, folderId);
    return { patient, contact, folderId, loose, filed, recordIds: [loose.summary.id, filed.summary.id].sort() };
  }
  type Family = Awaited<ReturnType<typeof family>>;

  const nameBody = (f: Family, overrides: Partial<NameTrustedContactRequest> = {}): NameTrustedContactRequest => ({
    contactId: f.contact.userId,
    email: f.contact.request.email,
    scope: 'all',
    waitDays: 7,
    fingerprint: fingerprintOf(f.contact),
    wraps: f.recordIds.map((recordId) => ({ recordId, wrap: contactWrap() })),
    ...overrides,
  });
  const name = (f: Family, overrides: Partial<NameTrustedContactRequest> = {}) => f.patient.client.send(ROUTES.nameTrustedContact, { token: f.patient.token, body: nameBody(f, overrides) });
  const named = async (f: Family, overrides: Partial<NameTrustedContactRequest> = {}): Promise<TrustedContact> => {
    const response = await name(f, overrides);
    expect(response.status).toBe(201);
    return response.body;
  };
  const request = (user: RegisteredUser, id: string) => user.client.unchecked().send(ROUTES.requestContactAccess, { params: { id }, token: user.token });
  const refuse = (user: RegisteredUser, id: string) => user.client.unchecked().send(ROUTES.refuseContactAccess, { params: { id }, token: user.token });
  const records = (user: RegisteredUser, id: string) => user.client.unchecked().send(ROUTES.listContactRecords, { params: { id }, token: user.token });
  const record = (user: RegisteredUser, id: string, recordId: string) => user.client.unchecked().send(ROUTES.getContactRecord, { params: { id, recordId }, token: user.token });
  const list = async (user: RegisteredUser) => (await user.client.send(ROUTES.listTrustedContacts, { token: user.token })).body.items;
  /** The wait passes as the database sees it: the stored request time moves back (no test sleeps for days). */
  const passWait = (id: string, days = 31) => api.adminQuery(`UPDATE trusted_contacts SET requested_at = requested_at - make_interval(days => $2) WHERE id = $1`, [id, days]);
  const rowsAfter = async (subjectId: string, count: number): Promise<AuditRow[]> => (await auditRowsOf(api, subjectId)).slice(count);
  const facts = (rows: AuditRow[]) => rows.map((row) => [row.action, row.outcome, row.actor_id, row.reason]);
  /** Every wrap of a trusted contact as the contact's own database session sees it (RLS under the application role). */
  async function wrapsSeenBy(contactId: string, trustedContactId: string): Promise<number> {
    await appRole.query('BEGIN');
    try {
      await appRole.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', 'patient', true)`, [contactId]);
      const direct = await appRole.query('SELECT * FROM contact_wraps WHERE trusted_contact_id = $1', [trustedContactId]);
      const released = await appRole.query('SELECT * FROM contact_released_records($1, NULL)', [trustedContactId]);
      expect(released.rowCount).toBe(direct.rowCount);
      return direct.rowCount ?? 0;
    } finally {
      await appRole.query('ROLLBACK');
    }
  }

  describe('naming a contact', () => {
    it('finds a patient account by its exact email, with its key and fingerprint, and files the look-up', async () => {
      const f = await family();
      const found = await f.patient.client.send(ROUTES.findContactCandidate, { token: f.patient.token, body: { email: f.contact.request.email.toUpperCase() } });
      expect(found.status).toBe(200);
      expect(found.body).toEqual({ id: f.contact.userId, displayName: f.contact.request.displayName, publicKey: f.contact.request.keys.publicKey, fingerprint: fingerprintOf(f.contact) });
      const rows = await auditRowsOf(api, f.patient.userId);
      expect(facts(rows.slice(-1))).toEqual([['contact.lookup', 'allow', f.patient.userId, `found ${f.contact.userId}`]]);
    });

    it('finds no doctor, no unknown address and not the caller, with the same 404 and a deny row', async () => {
      const f = await family();
      const doctor = await registerUser(api, 'doctor');
      for (const email of [doctor.request.email, 'nobody@example.org', f.patient.request.email]) {
        const before = (await auditRowsOf(api, f.patient.userId)).length;
        const answer = await f.patient.client.unchecked().send(ROUTES.findContactCandidate, { token: f.patient.token, body: { email } });
        expect(answer.status).toBe(404);
        expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.lookup', 'deny', f.patient.userId, 'no patient account with this email']]);
      }
    });

    it('answers a malformed email with 400 naming email', async () => {
      const f = await family();
      const answer = await f.patient.client.unchecked().send(ROUTES.findContactCandidate, { token: f.patient.token, body: { email: 'not-an-address' } });
      expect(answer.status).toBe(400);
      expect(answer.error?.fields?.map((field) => field.field)).toEqual(['email']);
      const missing = await f.patient.client.unchecked().send(ROUTES.findContactCandidate, { token: f.patient.token, body: {} });
      expect([missing.status, missing.error?.fields?.map((field) => field.field)]).toEqual([400, ['email']]);
    });

    it('has no GET form: an email in the query string is not served (404; ASVS 5.0 14.2.1)', async () => {
      const f = await family();
      const response = await fetch(`${api.baseUrl}/api/trusted-contacts/candidates?email=${encodeURIComponent(f.contact.request.email)}`, { headers: { authorization: `Bearer ${f.patient.token}` } });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain(f.contact.userId);
    });

    it('names a contact with a wrap of every record in scope; both see it, in standby, and the patient’s trail says so', async () => {
      const f = await family();
      const contact = await named(f);
      expect(contact).toEqual({
        id: expect.any(String),
        patientId: f.patient.userId,
        patientName: f.patient.request.displayName,
        contactId: f.contact.userId,
        contactName: f.contact.request.displayName,
        scope: 'all',
        folderId: null,
        waitDays: 7,
        status: 'standby',
        requestedAt: null,
        releasesAt: null,
        refusedAt: null,
        createdAt: expect.any(String),
        isWrapStale: false,
      });
      expect(await list(f.patient)).toEqual([contact]);
      expect(await list(f.contact)).toEqual([contact]);
      const stored = await api.adminQuery<{ record_id: string }>('SELECT record_id FROM contact_wraps WHERE trusted_contact_id = $1 ORDER BY record_id', [contact.id]);
      expect(stored.map((row) => row.record_id)).toEqual(f.recordIds);
      const trail = await auditRowsOf(api, f.patient.userId);
      expect(facts(trail.filter((row) => row.action === 'contact.named'))).toEqual([['contact.named', 'allow', f.patient.userId, `contact ${f.contact.userId}, all records, wait 7 day(s)`]]);
    });

    it('names a contact over one folder with the wraps of that folder’s records only', async () => {
      const f = await family();
      const contact = await named(f, { scope: 'folder', folderId: f.folderId, wraps: [{ recordId: f.filed.summary.id, wrap: contactWrap() }] });
      expect(contact).toMatchObject({ scope: 'folder', folderId: f.folderId });
    });

    it.each([
      ['a wait of 0 days', { waitDays: 0 }, 'waitDays'],
      ['a wait of 31 days', { waitDays: 31 }, 'waitDays'],
      ['a wait that is not a number', { waitDays: 'seven' as unknown as number }, 'waitDays'],
      ['an unknown scope', { scope: 'some' as 'all' }, 'scope'],
      ['a folder scope without a folder', { scope: 'folder' as const }, 'folderId'],
      ['a folder with scope all', { folderId: randomUUID() }, 'folderId'],
      ['a fingerprint in upper case', { fingerprint: 'A'.repeat(64) }, 'fingerprint'],
      ['a contact id that is not a UUID', { contactId: 'bob' }, 'contactId'],
      ['no email', { email: undefined }, 'email'],
      ['an email that is no address', { email: 'carol' }, 'email'],
      ['a wrap that is not base64url', { wraps: [{ recordId: randomUUID(), wrap: '!!' }] }, 'wraps.0.wrap'],
    ])('refuses %s with 400 naming %s, and names no one', async (_case, overrides, field) => {
      const f = await family();
      const answer = await f.patient.client.unchecked().send(ROUTES.nameTrustedContact, { token: f.patient.token, body: { ...nameBody(f), ...overrides } });
      expect(answer.status).toBe(400);
      expect(answer.error?.fields?.map((problem) => problem.field)).toContain(field);
      expect(await list(f.patient)).toEqual([]);
    });

    it('refuses wraps that miss a record in scope or name one outside it (400 WRAPS_MISMATCH naming wraps)', async () => {
      const f = await family();
      const missing = await name(f, { wraps: [{ recordId: f.recordIds[0], wrap: contactWrap() }] });
      expect(missing.status).toBe(400);
      expect(missing.error).toMatchObject({ code: ERROR_CODES.wrapsMismatch, fields: [{ field: 'wraps' }] });
      const other = await family();
      const foreign = await name(f, { wraps: [...nameBody(f).wraps, { recordId: other.recordIds[0], wrap: contactWrap() }] });
      expect(foreign.status).toBe(400);
      expect(await api.adminQuery('SELECT 1 FROM trusted_contacts WHERE patient_id = $1', [f.patient.userId])).toEqual([]);
    });

    it('names no account by its id alone: a doctor, the patient themself, an unknown id, or an email of another account or of none is a 400 naming email, audited, and tells no name', async () => {
      const f = await family();
      const doctor = await registerUser(api, 'doctor');
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const attempts = [
        { contactId: doctor.userId, email: doctor.request.email },
        { contactId: f.patient.userId, email: f.patient.request.email },
        { contactId: randomUUID(), email: f.contact.request.email },
        // An account's id and fingerprint are public (the key directory): without its email they name no one.
        { contactId: f.contact.userId, email: doctor.request.email },
        { contactId: f.contact.userId, email: 'nobody-here@example.org' },
      ];
      for (const overrides of attempts) {
        const answer = await name(f, overrides);
        expect(answer.status).toBe(400);
        expect(answer.error?.fields).toEqual([{ field: 'email', message: 'email and contactId do not name the same other patient account' }]);
        expect(answer.text).not.toContain(f.contact.request.displayName);
      }
      const rows = (await auditRowsOf(api, f.patient.userId)).slice(before).map((row) => `${row.action}:${row.outcome}:${row.reason}`);
      expect(rows).toEqual(attempts.map(() => 'contact.named:deny:the email names no other patient account, or another one than contactId'));
      expect(await list(f.patient)).toEqual([]);
    });

    it('refuses another patient’s folder (400 naming folderId)', async () => {
      const f = await family();
      const other = await family();
      const answer = await name(f, { scope: 'folder', folderId: other.folderId, wraps: [] });
      expect(answer.status).toBe(400);
      expect(answer.error?.fields).toEqual([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
    });

    it('refuses wraps made for another key than the contact’s current one (409 KEY_CHANGED), with a deny row', async () => {
      const f = await family();
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const answer = await name(f, { fingerprint: 'a'.repeat(64) });
      expect(answer.status).toBe(409);
      expect(answer.error?.code).toBe(ERROR_CODES.keyChanged);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.named', 'deny', f.patient.userId, `wraps made for key ${'a'.repeat(64)}, not the contact's current key`]]);
    });

    it('refuses naming the same account twice (409)', async () => {
      const f = await family();
      await named(f);
      expect((await name(f)).status).toBe(409);
    });
  });

  describe('a request, the wait and the release', () => {
    it('notifies the patient at once, in the portal and by mail, and starts the wait', async () => {
      const f = await family();
      const contact = await named(f, { waitDays: 3 });
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const asked = await request(f.contact, contact.id);
      expect(asked.status).toBe(200);
      const waiting = asked.body;
      expect(waiting.status).toBe('waiting');
      expect(Date.parse(waiting.releasesAt as string) - Date.parse(waiting.requestedAt as string)).toBe(3 * 24 * 60 * 60 * 1000);
      const added = await rowsAfter(f.patient.userId, before);
      expect(facts(added)).toEqual([['contact.requested', 'allow', f.contact.userId, `wait 3 day(s), until ${waiting.releasesAt}`]]);
      const notifications = await f.patient.client.send(ROUTES.listNotifications, { token: f.patient.token });
      expect(notifications.body.items[0]).toMatchObject({ kind: 'sharing', isUnread: true, event: { action: 'contact.requested', actorId: f.contact.userId } });
      expect(await api.app.get(NotificationMailer).run()).toBeGreaterThanOrEqual(1);
      const mail = await api.mail.next(f.patient.request.email);
      expect(mail.subject).toBe('Something happened in your health records account');
      expect(mail.text.toLowerCase()).not.toContain(f.contact.request.displayName.toLowerCase());
      // Asking again keeps the time of the request under way and files nothing new.
      const again = await request(f.contact, contact.id);
      expect((again.body).requestedAt).toBe(waiting.requestedAt);
      expect(await rowsAfter(f.patient.userId, before + 1)).toEqual([]);
    });

    it('hands out nothing before the wait has passed: 409 CONTACT_NOT_RELEASED, deny rows, and no wrap visible to the contact’s database session', async () => {
      const f = await family();
      const contact = await named(f, { waitDays: 2 });
      for (const step of ['standby', 'waiting', 'almost']) {
        if (step === 'waiting') await request(f.contact, contact.id);
        if (step === 'almost') await passWait(contact.id, 1);
        const before = (await auditRowsOf(api, f.patient.userId)).length;
        const listed = await records(f.contact, contact.id);
        expect(listed.status).toBe(409);
        expect(listed.error?.code).toBe(ERROR_CODES.contactNotReleased);
        const read = await record(f.contact, contact.id, f.recordIds[0]);
        expect(read.status).toBe(409);
        expect(read.text).not.toContain('wrap');
        const added = await rowsAfter(f.patient.userId, before);
        expect(added.map((row) => [row.action, row.outcome, row.actor_id])).toEqual([
          ['record.list', 'deny', f.contact.userId],
          ['record.read', 'deny', f.contact.userId],
        ]);
        expect(added[0].reason).toMatch(step === 'standby' ? /^trusted contact not released: no request under way$/ : /^trusted contact not released: the wait runs until /);
        expect(await wrapsSeenBy(f.contact.userId, contact.id)).toBe(0);
      }
      // The patient's own session sees every wrap (RLS: the patient's rows).
      await appRole.query('BEGIN');
      await appRole.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', 'patient', true)`, [f.patient.userId]);
      expect((await appRole.query('SELECT 1 FROM contact_wraps WHERE trusted_contact_id = $1', [contact.id])).rowCount).toBe(2);
      await appRole.query('ROLLBACK');
    });

    it('releases after the whole wait: the contact lists and opens the records read-only, each read filed as "trusted contact"', async () => {
      const f = await family();
      const contact = await named(f, { waitDays: 5 });
      await request(f.contact, contact.id);
      await passWait(contact.id, 5);
      expect(await wrapsSeenBy(f.contact.userId, contact.id)).toBe(2);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const listed = await records(f.contact, contact.id);
      expect(listed.status).toBe(200);
      const items = (listed.body as { items: Array<{ id: string; ownerId: string; wrap: string }> }).items;
      expect(items.map((item) => item.id).sort()).toEqual(f.recordIds);
      expect(items.every((item) => item.ownerId === f.patient.userId)).toBe(true);
      const stored = await api.adminQuery<{ record_id: string; wrap: string }>('SELECT record_id, wrap FROM contact_wraps WHERE trusted_contact_id = $1', [contact.id]);
      expect(new Map(items.map((item) => [item.id, item.wrap]))).toEqual(new Map(stored.map((row) => [row.record_id, row.wrap])));
      const read = await record(f.contact, contact.id, f.filed.summary.id);
      expect(read.status).toBe(200);
      const detail = read.body as { segments: Array<{ url: string }>; metadata: string };
      expect(detail.metadata).toBe(f.filed.summary.metadata);
      const downloaded = Buffer.from(await (await fetch(detail.segments[0].url)).arrayBuffer());
      expect(downloaded.equals(Buffer.concat(f.filed.bodies))).toBe(true);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([
        ['contact.released', 'allow', f.contact.userId, expect.stringMatching(/^requested .+, wait 5 day\(s\)$/)],
        ['record.list', 'allow', f.contact.userId, '2 record(s), trusted contact'],
        ['record.read', 'allow', f.contact.userId, 'trusted contact'],
      ]);
      expect((await list(f.patient))[0].status).toBe('released');
      // Read-only: the patient's own routes refuse the contact as a stranger.
      expect((await f.contact.client.unchecked().send(ROUTES.deleteRecord, { params: { id: f.filed.summary.id }, token: f.contact.token })).status).toBe(404);
      expect((await f.contact.client.unchecked().send(ROUTES.getRecord, { params: { id: f.filed.summary.id }, token: f.contact.token })).status).toBe(404);
    });

    it('a folder contact opens only records of that folder (404 for another, with a deny row)', async () => {
      const f = await family();
      const contact = await named(f, { scope: 'folder', folderId: f.folderId, wraps: [{ recordId: f.filed.summary.id, wrap: contactWrap() }] });
      await request(f.contact, contact.id);
      await passWait(contact.id);
      expect((await record(f.contact, contact.id, f.filed.summary.id)).status).toBe(200);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      expect((await record(f.contact, contact.id, f.loose.summary.id)).status).toBe(404);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['record.read', 'deny', f.contact.userId, 'not in the trusted contact’s scope']]);
    });

    it('the patient’s refusal during the wait ends the request: nothing is released when the old wait would have passed', async () => {
      const f = await family();
      const contact = await named(f, { waitDays: 1 });
      await request(f.contact, contact.id);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const refused = await refuse(f.patient, contact.id);
      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({ status: 'standby', requestedAt: null, releasesAt: null, refusedAt: expect.any(String) });
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.refused', 'allow', f.patient.userId, `contact ${f.contact.userId}`]]);
      await passWait(contact.id);
      expect((await records(f.contact, contact.id)).status).toBe(409);
      expect(await wrapsSeenBy(f.contact.userId, contact.id)).toBe(0);
      // A second request starts a new wait of its own.
      const second = await request(f.contact, contact.id);
      expect((second.body).status).toBe('waiting');
      await passWait(contact.id);
      expect((await records(f.contact, contact.id)).status).toBe(200);
    });

    it('a refusal after the release ends it, and refusing with no request under way is a 409 with a deny row', async () => {
      const f = await family();
      const contact = await named(f);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const nothing = await refuse(f.patient, contact.id);
      expect(nothing.status).toBe(409);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.refused', 'deny', f.patient.userId, 'no request under way']]);
      await request(f.contact, contact.id);
      await passWait(contact.id);
      expect((await records(f.contact, contact.id)).status).toBe(200);
      expect((await refuse(f.patient, contact.id)).status).toBe(200);
      expect((await records(f.contact, contact.id)).status).toBe(409);
    });

    it('a contact removed mid-wait gets nothing: the wraps are gone and the request is a 404', async () => {
      const f = await family();
      const contact = await named(f);
      await request(f.contact, contact.id);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const removed = await f.patient.client.unchecked().send(ROUTES.removeTrustedContact, { params: { id: contact.id }, token: f.patient.token });
      expect(removed.status).toBe(204);
      expect(await api.adminQuery('SELECT 1 FROM contact_wraps WHERE trusted_contact_id = $1', [contact.id])).toEqual([]);
      await passWait(contact.id);
      expect((await records(f.contact, contact.id)).status).toBe(404);
      expect((await request(f.contact, contact.id)).status).toBe(404);
      expect(await list(f.contact)).toEqual([]);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.removed', 'allow', f.patient.userId, `contact ${f.contact.userId}`]]);
    });

    /** A family whose contact asked `daysAgo` days ago, under a wait of `waitDays`. */
    async function askedDaysAgo(waitDays: number, daysAgo: number): Promise<{ f: Family; contact: TrustedContact }> {
      const f = await family();
      const contact = await named(f, { waitDays });
      await request(f.contact, contact.id);
      await passWait(contact.id, daysAgo);
      return { f, contact };
    }
    const changeWait = (f: Family, id: string, waitDays: number) => f.patient.client.send(ROUTES.updateTrustedContact, { params: { id }, token: f.patient.token, body: { waitDays } });

    it('a changed wait counts for the request under way', async () => {
      const { f, contact } = await askedDaysAgo(30, 2);
      expect((await records(f.contact, contact.id)).status).toBe(409);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const changed = await changeWait(f, contact.id, 1);
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ waitDays: 1, status: 'released' });
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.changed', 'allow', f.patient.userId, `contact ${f.contact.userId}, wait 30 → 1 day(s)`]]);
      expect((await records(f.contact, contact.id)).status).toBe(200);
    });

    it('a wait lengthened after a release ends it; the next release is filed again as contact.released', async () => {
      const { f, contact } = await askedDaysAgo(1, 2);
      expect((await records(f.contact, contact.id)).status).toBe(200);
      const lengthened = await changeWait(f, contact.id, 30);
      expect(lengthened.body).toMatchObject({ waitDays: 30, status: 'waiting' });
      expect((await records(f.contact, contact.id)).error?.code).toBe(ERROR_CODES.contactNotReleased);
      await passWait(contact.id, 30);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      expect((await records(f.contact, contact.id)).status).toBe(200);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([
        ['contact.released', 'allow', f.contact.userId, expect.stringMatching(/^requested .+, wait 30 day\(s\)$/)],
        ['record.list', 'allow', f.contact.userId, '2 record(s), trusted contact'],
      ]);
    });

    it('releases after the wait in hours, whatever the database session’s time zone, at the releasesAt the parties are shown', async () => {
      // Across the start of summer time in New York (2026-03-08): two days are 48 hours, not 47.
      const [{ at }] = await api.adminQuery<{ at: Date }>(
        `SELECT set_config('timezone', 'America/New_York', false), contact_release_time('2026-03-07T17:00:00Z', 2) AS at`,
      );
      await api.adminQuery('RESET timezone');
      expect(at.toISOString()).toBe('2026-03-09T17:00:00.000Z');
      const f = await family();
      const contact = await named(f, { waitDays: 2 });
      const requested = (await request(f.contact, contact.id)).body;
      expect(Date.parse(requested.releasesAt as string) - Date.parse(requested.requestedAt as string)).toBe(2 * 24 * 3600 * 1000);
    });
  });

  describe('who may do what', () => {
    it('answers another patient with the same 404 as for no such contact, filed in the patient’s trail, and changes nothing', async () => {
      const f = await family();
      const stranger = await registerUser(api);
      const contact = await named(f);
      await request(f.contact, contact.id);
      await passWait(contact.id);
      const calls = [
        () => stranger.client.unchecked().send(ROUTES.updateTrustedContact, { params: { id: contact.id }, token: stranger.token, body: { waitDays: 2 } }),
        () => stranger.client.unchecked().send(ROUTES.removeTrustedContact, { params: { id: contact.id }, token: stranger.token }),
        () => refuse(stranger, contact.id),
        () => request(stranger, contact.id),
        () => records(stranger, contact.id),
        () => record(stranger, contact.id, f.recordIds[0]),
      ];
      for (const call of calls) {
        const before = (await auditRowsOf(api, f.patient.userId)).length;
        const answer = await call();
        expect(answer.status).toBe(404);
        const added = await rowsAfter(f.patient.userId, before);
        expect(added.map((row) => [row.outcome, row.actor_id, row.reason])).toEqual([['deny', stranger.userId, `not a party to this trusted contact (${contact.id})`]]);
      }
      expect((await list(f.patient))[0]).toMatchObject({ status: 'released', waitDays: 7 });
    });

    it('lets only the patient change, refuse or remove, and only the contact ask and read', async () => {
      const f = await family();
      const contact = await named(f);
      await request(f.contact, contact.id);
      expect((await refuse(f.contact, contact.id)).status).toBe(404);
      expect((await f.contact.client.unchecked().send(ROUTES.updateTrustedContact, { params: { id: contact.id }, token: f.contact.token, body: { waitDays: 1 } })).status).toBe(404);
      expect((await f.contact.client.unchecked().send(ROUTES.removeTrustedContact, { params: { id: contact.id }, token: f.contact.token })).status).toBe(404);
      await passWait(contact.id);
      expect((await request(f.patient, contact.id)).status).toBe(404);
      expect((await records(f.patient, contact.id)).status).toBe(404);
      const rows = await auditRowsOf(api, f.patient.userId);
      expect(rows.filter((row) => row.outcome === 'deny').map((row) => row.reason)).toEqual(
        expect.arrayContaining([`not a party to this trusted contact (${contact.id})`, `only the contact may do this (${contact.id})`]),
      );
    });

    it('refuses a doctor (403), no token (401) and forged tokens (401)', async () => {
      const f = await family();
      const contact = await named(f);
      const doctor = await registerUser(api, 'doctor');
      expect((await request(doctor, contact.id)).status).toBe(403);
      expect((await doctor.client.unchecked().send(ROUTES.listTrustedContacts, { token: doctor.token })).status).toBe(403);
      expect((await f.contact.client.unchecked().send(ROUTES.requestContactAccess, { params: { id: contact.id } })).status).toBe(401);
      for (const [kind, token] of Object.entries(badTokens(TEST_JWT_SECRET, f.contact.userId, sessionIdOf(f.contact.token)))) {
        const answer = await f.contact.client.unchecked().send(ROUTES.listContactRecords, { params: { id: contact.id }, token });
        expect({ kind, status: answer.status }).toEqual({ kind, status: 401 });
      }
      expect((await list(f.patient))[0].status).toBe('standby');
    });

    it('answers malformed ids and waits with 400 naming the field', async () => {
      const f = await family();
      const contact = await named(f);
      const badId = await f.contact.client.unchecked().send(ROUTES.requestContactAccess, { params: { id: 'not-a-uuid' }, token: f.contact.token });
      expect(badId.error?.fields).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
      const badRecord = await record(f.contact, contact.id, 'nope');
      expect(badRecord.error?.fields).toEqual([{ field: 'recordId', message: 'recordId must be a UUID' }]);
      const badWait = await f.patient.client.unchecked().send(ROUTES.updateTrustedContact, { params: { id: contact.id }, token: f.patient.token, body: { waitDays: 45 } });
      expect(badWait.status).toBe(400);
      expect(badWait.error?.fields?.map((field) => field.field)).toEqual(['waitDays']);
      const extra = await f.patient.client.unchecked().send(ROUTES.updateTrustedContact, { params: { id: contact.id }, token: f.patient.token, body: { waitDays: 2, contactId: randomUUID() } });
      expect(extra.status).toBe(400);
      expect((await list(f.patient))[0].waitDays).toBe(7);
    });
  });

  describe('new uploads, key changes and the break-glass hook', () => {
    it('presign names the contacts whose scope takes a new record in; the commit must carry their wraps', async () => {
      const f = await family();
      await named(f, { scope: 'folder', folderId: f.folderId, wraps: [{ recordId: f.filed.summary.id, wrap: contactWrap() }] });
      const outside = await presign(f.patient, 100);
      expect(outside.coveringContacts).toEqual([]);
      const upload = await f.patient.client.send(ROUTES.presignUpload, { token: f.patient.token, body: { size: 100, folderId: f.folderId } });
      expect(upload.body.coveringContacts).toEqual([{ id: f.contact.userId, displayName: f.contact.request.displayName, publicKey: f.contact.request.keys.publicKey }]);
      await putSegments(upload.body, segmentBodies(100));
      const without = await commit(f.patient, commitRequest(upload.body.recordId, f.folderId));
      expect(without.status).toBe(409);
      expect(without.error).toMatchObject({ code: ERROR_CODES.contactWrapMissing, fields: [{ field: 'contactWraps' }] });
      const stranger = await registerUser(api);
      const wrong = await commit(f.patient, { ...commitRequest(upload.body.recordId, f.folderId), contactWraps: [{ contactId: stranger.userId, wrap: contactWrap() }] });
      expect(wrong.status).toBe(400);
      expect(wrong.error?.fields?.[0].field).toBe('contactWraps');
      const wrap = contactWrap();
      const committed = await commit(f.patient, { ...commitRequest(upload.body.recordId, f.folderId), contactWraps: [{ contactId: f.contact.userId, wrap }] });
      expect(committed.status).toBe(201);
      expect(await api.adminQuery('SELECT wrap FROM contact_wraps WHERE record_id = $1', [upload.body.recordId])).toEqual([{ wrap }]);
    });

    it('a contact’s new key leaves the wraps stale until the patient re-makes them for it: none is handed out meanwhile (409 WRAP_STALE)', async () => {
      const f = await family();
      const contact = await named(f);
      await request(f.contact, contact.id);
      await passWait(contact.id);
      // The contact's key as the directory would hold it after a key-pair rotation (the rotation itself is key-pair-rotation.spec's).
      await api.adminQuery(`UPDATE public_keys SET fingerprint = $2 WHERE user_id = $1`, [f.contact.userId, 'b'.repeat(64)]);
      expect((await list(f.patient))[0].isWrapStale).toBe(true);
      const beforeStale = (await auditRowsOf(api, f.patient.userId)).length;
      const staleList = await records(f.contact, contact.id);
      const staleRead = await record(f.contact, contact.id, f.filed.summary.id);
      expect([staleList.status, staleList.error?.code, staleRead.status, staleRead.error?.code]).toEqual([409, ERROR_CODES.wrapStale, 409, ERROR_CODES.wrapStale]);
      expect(JSON.stringify([staleList.body, staleRead.body])).not.toContain('"wrap"');
      const staleReason = `trusted contact's wraps made for key ${fingerprintOf(f.contact)}, which the contact has replaced`;
      expect(facts(await rowsAfter(f.patient.userId, beforeStale))).toEqual([
        ['record.list', 'deny', f.contact.userId, staleReason],
        ['record.read', 'deny', f.contact.userId, staleReason],
      ]);
      const old = await f.patient.client.unchecked().send(ROUTES.rewrapTrustedContact, { params: { id: contact.id }, token: f.patient.token, body: { fingerprint: fingerprintOf(f.contact), wraps: nameBody(f).wraps } });
      expect(old.status).toBe(409);
      expect(old.error?.code).toBe(ERROR_CODES.keyChanged);
      const before = (await auditRowsOf(api, f.patient.userId)).length;
      const wraps = nameBody(f).wraps;
      const renewed = await f.patient.client.send(ROUTES.rewrapTrustedContact, { params: { id: contact.id }, token: f.patient.token, body: { fingerprint: 'b'.repeat(64), wraps } });
      expect(renewed.status).toBe(200);
      expect(renewed.body.isWrapStale).toBe(false);
      expect(facts(await rowsAfter(f.patient.userId, before))).toEqual([['contact.rewrap', 'allow', f.patient.userId, `contact ${f.contact.userId}, 2 wrap(s) for key ${'b'.repeat(64)}`]]);
      const stored = await api.adminQuery<{ wrap: string }>('SELECT wrap FROM contact_wraps WHERE trusted_contact_id = $1 ORDER BY record_id', [contact.id]);
      expect(stored.map((row) => row.wrap)).toEqual(wraps.map((wrap) => wrap.wrap));
      expect((await records(f.contact, contact.id)).status).toBe(200);
    });

    it('TrustedContactsRepository.activeContactIds names a patient’s contacts to the patient, and to no doctor who broke no glass on them', async () => {
      const f = await family();
      await named(f);
      const doctor = await registerUser(api, 'doctor');
      const asCaller = (userId: string, role: 'patient' | 'doctor') =>
        api.app.get(Db).run({ userId, role }, { requestId: randomUUID(), ip: null, userAgent: null }, () => api.app.get(TrustedContactsRepository).activeContactIds(f.patient.userId));
      expect(await asCaller(f.patient.userId, 'patient')).toEqual([f.contact.userId]);
      // A clinician who broke the glass on the patient is told (break-glass.spec "breaks the glass: … told at once"); anyone else learns nothing.
      expect(await asCaller(doctor.userId, 'doctor')).toEqual([]);
    });
  });
});
