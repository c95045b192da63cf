import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DOCTOR_WRAP_BYTES,
  ERROR_CODES,
  ROUTES,
  type ListCliniciansQuery,
} from '@phr/shared-types';
import pg from 'pg';
import { linkIn } from '@phr/infra/local/mail/mailbox.js';
import { auditRowsOf } from './support/audit.js';
import { decideOnClinician, operatorOf, registerStaff, registerUnverifiedDoctor, registerUser, registration, uniqueEmail, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { forgeToken } from './support/tokens.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const doctorWrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

/** Issue 19, docs/protocol.md "Clinicians": operators vouch for every doctor patients can find and share with. */
describe('clinicians: who may be a doctor', () => {
  let api: TestApp;
  let operator: RegisteredUser;
  let patient: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    operator = await operatorOf(api);
    patient = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  const search = (q: string) => patient.client.send(ROUTES.searchDoctors, { body: { q: q }, token: patient.token });
  const me = (user: RegisteredUser) => user.client.send(ROUTES.me, { token: user.token });
  const queue = (status: ListCliniciansQuery['status'] = 'pending', token = operator.token) => operator.client.send(ROUTES.listClinicians, { query: { status, limit: 100 }, token });
  /** Unchecked: one helper for four routes, and a refusal without its reason is one of the cases. */
  const decide = (name: 'approveClinician' | 'refuseClinician' | 'suspendClinician' | 'reinstateClinician', id: string, body?: unknown, token = operator.token) =>
    operator.client.unchecked().send(ROUTES[name], { params: { id }, token, body });
  const rowsOf = async (subjectId: string, action: string) =>
    (await auditRowsOf(api, subjectId)).filter((row) => row.action === action).map((row) => ({ outcome: row.outcome, actor: row.actor_id, reason: row.reason, record: row.record_id }));
  /** The records a doctor's database context sees under RLS, as the API's role: what a request that skipped the guard would get. */
  const recordsSeenBy = async (doctorId: string, recordId: string) => {
    const client = new pg.Client({ connectionString: api.database.adminUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE phr_app');
      await client.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', 'doctor', true)`, [doctorId]);
      return (await client.query<{ id: string }>('SELECT id FROM records WHERE id = $1', [recordId])).rows.map((row) => row.id);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  };
  const grantRecord = async (owner: RegisteredUser, doctorId: string) => {
    const { summary } = await uploadRecord(owner);
    const granted = await owner.client.send(ROUTES.createConsent, {
      token: owner.token,
      body: { doctorId, scope: 'record', recordId: summary.id, wraps: [{ recordId: summary.id, wrap: doctorWrap() }] },
    });
    return { recordId: summary.id, granted };
  };

  describe('a doctor who registers waits for an operator', () => {
    it('needs a licence and an organisation to register as a doctor, and takes neither from a patient', async () => {
      const withoutBoth = await verifiedRegistration(api, {}, 'doctor');
      delete withoutBoth.licence;
      delete withoutBoth.organisation;
      const refused = await testClient(api.baseUrl).send(ROUTES.register, { body: withoutBoth });
      expect(refused.status).toBe(400);
      expect(refused.error?.fields?.map((field) => field.field).sort()).toEqual(['licence', 'organisation']);

      const patientWithLicence = await verifiedRegistration(api, { licence: 'GMC 1' }, 'patient');
      const refusedPatient = await testClient(api.baseUrl).send(ROUTES.register, { body: patientWithLicence });
      expect(refusedPatient.status).toBe(400);
      expect(refusedPatient.error?.fields).toEqual([{ field: 'licence', message: expect.stringContaining('only by a doctor') }]);
      expect(await api.adminQuery('SELECT 1 FROM users WHERE email = ANY($1)', [[withoutBoth.email, patientWithLicence.email]])).toEqual([]);
    });

    it('keeps an unapproved doctor out of search, out of every share and away from every record, and says why', async () => {
      const waiting = await registerUnverifiedDoctor(api, { displayName: 'Dr. Wanda Waiting', licence: 'GMC 2002', organisation: 'Riverside Clinic' });
      expect(waiting.session.user.clinician).toEqual({ status: 'pending', licence: 'GMC 2002', organisation: 'Riverside Clinic', verifiedBy: null, verifiedAt: null, reason: null });
      expect((await me(waiting)).body.clinician?.status).toBe('pending');
      expect(await rowsOf(waiting.userId, 'clinician.request')).toEqual([{ outcome: 'allow', actor: waiting.userId, reason: 'licence and organisation given; waits for an operator', record: null }]);

      expect((await search('Wanda')).body.items).toEqual([]);
      expect((await search(waiting.request.email)).body.items).toEqual([]);
      const { granted } = await grantRecord(patient, waiting.userId);
      expect(granted.status).toBe(400);
      expect(granted.error?.fields).toEqual([{ field: 'doctorId', message: 'doctorId names no verified clinician' }]);

      const list = await waiting.client.send(ROUTES.listRecords, { token: waiting.token });
      expect(list.status).toBe(403);
      expect(list.error?.code).toBe(ERROR_CODES.clinicianNotVerified);
      expect(list.error?.message).toContain('awaits an operator’s approval');
    });

    it('lists the request in the queue; approval makes the doctor findable, marked as verified by the operator, in the doctor’s trail', async () => {
      const doctor = await registerUnverifiedDoctor(api, { displayName: 'Dr. Quentin Queue', licence: 'GMC 3003', organisation: 'Hillside Hospital', specialty: 'Neurology' });
      const pending = await queue();
      expect(pending.status).toBe(200);
      expect(pending.body.items.find((item) => item.id === doctor.userId)).toEqual({
        id: doctor.userId,
        email: doctor.request.email,
        displayName: 'Dr. Quentin Queue',
        specialty: 'Neurology',
        licence: 'GMC 3003',
        organisation: 'Hillside Hospital',
        status: 'pending',
        origin: 'request',
        requestedAt: expect.any(String),
        decidedAt: null,
        decidedBy: null,
        reason: null,
        nameCheck: { mixedScript: false, looksLike: [] },
      });

      const approved = await decide('approveClinician', doctor.userId);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'Credentialing office', decidedAt: expect.any(String) });
      expect((await queue()).body.items.map((item) => item.id)).not.toContain(doctor.userId);
      expect((await queue('approved')).body.items.map((item) => item.id)).toContain(doctor.userId);

      const found = await search('Quentin');
      expect(found.body.items).toEqual([expect.objectContaining({ id: doctor.userId, organisation: 'Hillside Hospital', verifiedBy: 'Credentialing office', looksLikeAnother: false })]);
      expect((await me(doctor)).body.clinician).toMatchObject({ status: 'approved', verifiedBy: 'Credentialing office', verifiedAt: expect.any(String) });
      expect(await rowsOf(doctor.userId, 'clinician.approve')).toEqual([{ outcome: 'allow', actor: operator.userId, reason: `by operator ${operator.userId}`, record: null }]);

      const again = await decide('approveClinician', doctor.userId);
      expect(again.status).toBe(409);
      expect(again.error?.code).toBe(ERROR_CODES.clinicianState);
      expect(await rowsOf(doctor.userId, 'clinician.approve')).toContainEqual({ outcome: 'deny', actor: operator.userId, reason: 'the clinician is approved', record: null });
    });

    it('refuses a request with a reason the doctor sees; a refusal needs a reason', async () => {
      const doctor = await registerUnverifiedDoctor(api, { displayName: 'Dr. Rita Refused' });
      const withoutReason = await decide('refuseClinician', doctor.userId, {});
      expect(withoutReason.status).toBe(400);
      expect(withoutReason.error?.fields?.map((field) => field.field)).toEqual(['reason']);

      const refused = await decide('refuseClinician', doctor.userId, { reason: 'No such licence in the register' });
      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({ status: 'refused', reason: 'No such licence in the register' });
      expect((await me(doctor)).body.clinician).toMatchObject({ status: 'refused', reason: 'No such licence in the register', verifiedBy: null });
      expect(await rowsOf(doctor.userId, 'clinician.refuse')).toEqual([
        { outcome: 'allow', actor: operator.userId, reason: `by operator ${operator.userId}; a reason was given to the clinician`, record: null },
      ]);
      expect((await decide('suspendClinician', doctor.userId, { reason: 'x' })).status).toBe(409);
    });

    it('lets a waiting doctor correct the name, and an approved one not: the operator vouched for it', async () => {
      const doctor = await registerUnverifiedDoctor(api, { displayName: 'Dr. Tipo Typo' });
      const corrected = await doctor.client.send(ROUTES.updateMe, { token: doctor.token, body: { displayName: 'Dr.  Tippi   Hedren' } });
      expect(corrected.status).toBe(200);
      expect(corrected.body.displayName).toBe('Dr. Tippi Hedren');
      await decideOnClinician(api, doctor.userId, 'approve');
      const renamed = await doctor.client.send(ROUTES.updateMe, { token: doctor.token, body: { displayName: 'Dr. Someone Else' } });
      expect(renamed.status).toBe(400);
      expect(renamed.error?.fields?.[0]).toMatchObject({ field: 'displayName' });
      expect((await me(doctor)).body.displayName).toBe('Dr. Tippi Hedren');
      expect((await doctor.client.send(ROUTES.updateMe, { token: doctor.token, body: { specialty: 'Psychiatry' } })).status).toBe(200);
    });
  });

  describe('an operator invites a clinician', () => {
    it('mails a one-time link; the account it makes is approved by that operator and logged in both trails', async () => {
      const email = uniqueEmail('invited');
      const sent = await operator.client.send(ROUTES.inviteClinician, {
        token: operator.token,
        body: { email, displayName: 'Dr. Ines Invited', licence: 'GMC 4004', organisation: 'Lakeside Practice', specialty: 'Dermatology' },
      });
      expect(sent.status).toBe(202);
      expect(sent.body).toEqual({ email, expiresAt: expect.any(String) });
      const mail = await api.mail.next(email);
      const link = new URL(linkIn(mail) ?? '');
      expect(link.pathname).toBe('/register');
      expect(link.search).toBe('');
      const fragment = new URLSearchParams(link.hash.slice(1));
      expect(fragment.get('email')).toBe(email);
      const code = fragment.get('invitation') ?? '';
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const invitationRef = createHash('sha256').update(code, 'utf8').digest('hex').slice(0, 16);
      expect(JSON.stringify(await api.adminQuery('SELECT * FROM auditor_invitations WHERE email = $1', [email]))).not.toContain(code);

      const { registrationToken: _token, role: _role, displayName: _name, licence: _licence, organisation: _organisation, ...material } = registration({ email });
      const client = testClient(api.baseUrl);
      const registered = await client.send(ROUTES.registerInvited, { body: { ...material, invitation: code } });
      expect(registered.status).toBe(201);
      expect(registered.body.user).toMatchObject({ role: 'doctor', displayName: 'Dr. Ines Invited', specialty: 'Dermatology' });
      expect(registered.body.user.clinician).toMatchObject({ status: 'approved', licence: 'GMC 4004', organisation: 'Lakeside Practice', verifiedBy: 'Credentialing office' });
      const doctorId = registered.body.user.id;
      expect((await search('Ines')).body.items.map((item) => item.id)).toEqual([doctorId]);
      expect(await rowsOf(doctorId, 'clinician.invite')).toEqual([
        {
          outcome: 'allow',
          actor: doctorId,
          reason: `invitation ${invitationRef}, approved by operator ${operator.userId}`,
          record: null,
        },
      ]);
      expect(await rowsOf(operator.userId, 'clinician.invite')).toContainEqual({
        outcome: 'allow',
        actor: operator.userId,
        reason: `invitation ${invitationRef} sent`,
        record: null,
      });

      // The trail outlives an erasure (docs/erasure.md): no name, email, licence or organisation in it.
      const trails = JSON.stringify([...(await auditRowsOf(api, doctorId)), ...(await auditRowsOf(api, operator.userId))]);
      for (const personal of [email, 'Ines', 'GMC 4004', 'Lakeside', 'Credentialing office']) expect(trails).not.toContain(personal);

      const reused = await testClient(api.baseUrl).send(ROUTES.registerInvited, { body: { ...material, email: uniqueEmail(), invitation: code } });
      expect(reused.status).toBe(400);
      expect(reused.error?.fields?.[0]?.field).toBe('invitation');
    });

    it('refuses to invite an email that has an account, or a name in several scripts', async () => {
      const taken = await operator.client.send(ROUTES.inviteClinician, {
        token: operator.token,
        body: { email: patient.request.email, displayName: 'Dr. Taken', licence: 'GMC 5', organisation: 'Somewhere' },
      });
      expect(taken.status).toBe(409);
      expect(taken.error?.fields?.[0]?.field).toBe('email');
      const mixed = await operator.client.send(ROUTES.inviteClinician, {
        token: operator.token,
        body: { email: uniqueEmail(), displayName: 'Dr. Mаrtin Mixed', licence: 'GMC 6', organisation: 'Somewhere' },
      });
      expect(mixed.status).toBe(409);
      expect(mixed.error?.code).toBe(ERROR_CODES.nameConfusable);
    });
  });

  describe('names that look alike (Unicode TR39 skeletons)', () => {
    let original: RegisteredUser;

    beforeAll(async () => {
      original = await registerUser(api, 'doctor', { displayName: 'Dr. Avery Okafor', organisation: 'City General' });
    });

    it('flags a Cyrillic look-alike in the queue, refuses to approve it, and keeps it out of search', async () => {
      const impostor = await registerUnverifiedDoctor(api, { displayName: 'Dr. Аvery Okafor', organisation: 'Nowhere Ltd' });
      const listed = (await queue()).body.items.find((item) => item.id === impostor.userId);
      expect(listed?.nameCheck).toEqual({ mixedScript: true, looksLike: [{ id: original.userId, displayName: 'Dr. Avery Okafor', organisation: 'City General' }] });

      const refused = await decide('approveClinician', impostor.userId);
      expect(refused.status).toBe(409);
      expect(refused.error?.code).toBe(ERROR_CODES.nameConfusable);
      expect((await me(impostor)).body.clinician?.status).toBe('pending');
      expect((await rowsOf(impostor.userId, 'clinician.approve')).map((row) => row.outcome)).toEqual(['deny']);
      expect((await search('Okafor')).body.items.map((item) => item.id)).toEqual([original.userId]);
      // Typing the look-alike finds the real one.
      expect((await search('Аvery')).body.items.map((item) => item.id)).toEqual([original.userId]);
    });

    it('refuses a single-script look-alike (a zero for an O, "rn" for "m"), and marks two identical names in search', async () => {
      const zero = await registerUnverifiedDoctor(api, { displayName: 'Dr. Avery 0kafor' });
      expect((await queue()).body.items.find((item) => item.id === zero.userId)?.nameCheck).toEqual({
        mixedScript: false,
        looksLike: [expect.objectContaining({ id: original.userId })],
      });
      expect((await decide('approveClinician', zero.userId)).error?.code).toBe(ERROR_CODES.nameConfusable);

      const namesake = await registerUnverifiedDoctor(api, { displayName: 'Dr. Avery Okafor', organisation: 'Harbour Hospital' });
      expect((await decide('approveClinician', namesake.userId)).status).toBe(200);
      const found = await search('Avery Okafor');
      expect(found.body.items.map((item) => [item.id, item.organisation, item.looksLikeAnother]).sort()).toEqual(
        [
          [original.userId, 'City General', true],
          [namesake.userId, 'Harbour Hospital', true],
        ].sort(),
      );
    });
  });

  describe('look-alikes through a suspension', () => {
    it('refuses to reinstate a clinician whose name now looks like one approved while they were suspended (409, audited)', async () => {
      const first = await registerUser(api, 'doctor', { displayName: 'Dr. Imogen Brightwater' });
      expect((await decide('suspendClinician', first.userId, { reason: 'licence under review' })).status).toBe(200);
      // Approved while the first is suspended, so no approved name stood in its way.
      const second = await registerUnverifiedDoctor(api, { displayName: 'Dr. Irnogen Brightwater' });
      expect((await decide('approveClinician', second.userId)).status).toBe(200);
      const before = (await auditRowsOf(api, first.userId)).length;
      const reinstated = await decide('reinstateClinician', first.userId);
      expect([reinstated.status, reinstated.error?.code]).toEqual([409, ERROR_CODES.nameConfusable]);
      const rows = (await auditRowsOf(api, first.userId)).slice(before);
      expect(rows.map((row) => [row.action, row.outcome])).toEqual([['clinician.reinstate', 'deny']]);
      expect(rows[0].reason).toContain(second.userId);
    });
  });

  describe('suspension', () => {
    it('cuts the doctor’s reads at once (audited in the patient’s trail), tells the patient, and reinstating restores them', async () => {
      const doctor = await registerUser(api, 'doctor', { displayName: 'Dr. Sid Suspended' });
      const owner = await registerUser(api);
      const { recordId, granted } = await grantRecord(owner, doctor.userId);
      expect(granted.status).toBe(201);
      expect(granted.body.doctorStatus).toBe('approved');
      expect((await doctor.client.send(ROUTES.getRecord, { params: { id: recordId }, token: doctor.token })).status).toBe(200);

      const suspended = await decide('suspendClinician', doctor.userId, { reason: 'Licence under review' });
      expect(suspended.status).toBe(200);
      expect(suspended.body.status).toBe('suspended');

      // The same access token: the next read is refused.
      const read = await doctor.client.send(ROUTES.getRecord, { params: { id: recordId }, token: doctor.token });
      expect(read.status).toBe(403);
      expect(read.error?.code).toBe(ERROR_CODES.clinicianNotVerified);
      expect(read.error?.message).toContain('suspended');
      expect((await doctor.client.send(ROUTES.listRecords, { token: doctor.token })).status).toBe(403);
      expect((await rowsOf(owner.userId, 'route.access')).filter((row) => row.record === recordId)).toEqual([
        { outcome: 'deny', actor: doctor.userId, reason: `clinician suspended: no operator's approval stands; GET /api/records/:id`, record: recordId },
      ]);
      // Even a query that skipped the guard sees nothing: the RLS policy asks for an approved clinician.
      expect(await recordsSeenBy(doctor.userId, recordId)).toEqual([]);
      expect(await rowsOf(owner.userId, 'clinician.suspend')).toEqual([
        {
          outcome: 'allow',
          actor: operator.userId,
          reason: `doctor ${doctor.userId} suspended: their consents let them read nothing until reinstated`,
          record: null,
        },
      ]);
      expect(await rowsOf(doctor.userId, 'clinician.suspend')).toHaveLength(1);
      expect(JSON.stringify(await auditRowsOf(api, owner.userId))).not.toMatch(/Sid Suspended|Licence under review/);
      const notice = await api.mail.next(owner.request.email);
      expect(notice.subject).toBe('A doctor you share records with has changed standing');
      expect(notice.text).not.toContain('Sid');
      const listed = await owner.client.send(ROUTES.listConsents, { token: owner.token });
      expect(listed.body.items.map((consent) => [consent.id, consent.status, consent.doctorStatus])).toEqual([[granted.body.id, 'active', 'suspended']]);
      expect((await search('Sid Suspended')).body.items).toEqual([]);
      expect((await grantRecord(owner, doctor.userId)).granted.status).toBe(400);
      expect((await me(doctor)).body.clinician).toMatchObject({ status: 'suspended', reason: 'Licence under review' });

      const reinstated = await decide('reinstateClinician', doctor.userId);
      expect(reinstated.status).toBe(200);
      expect((await doctor.client.send(ROUTES.getRecord, { params: { id: recordId }, token: doctor.token })).status).toBe(200);
      expect(await recordsSeenBy(doctor.userId, recordId)).toEqual([recordId]);
      expect((await rowsOf(owner.userId, 'clinician.reinstate')).map((row) => row.reason)).toEqual([`doctor ${doctor.userId} reinstated: their consents work again`]);
      expect((await api.mail.next(owner.request.email)).subject).toBe('A doctor you share records with has changed standing');
      expect((await decide('reinstateClinician', doctor.userId)).status).toBe(409);
    });
  });

  describe('ending a clinician’s sessions', () => {
    const endSessions = (id: string, token = operator.token) => operator.client.unchecked().send(ROUTES.endClinicianSessions, { params: { id }, token });

    it('ends every session of the clinician: their access token and refresh cookie get 401, their browsers are forgotten, audited with the operator', async () => {
      const doctor = await registerUser(api, 'doctor', { displayName: 'Dr. Stolen Laptop' });
      expect((await me(doctor)).status).toBe(200);
      expect(await api.adminQuery('SELECT 1 FROM known_devices WHERE user_id = $1', [doctor.userId])).not.toEqual([]);
      expect((await endSessions(doctor.userId)).status).toBe(204);
      expect((await doctor.client.unchecked().send(ROUTES.me, { token: doctor.token })).status).toBe(401);
      expect((await doctor.client.unchecked().send(ROUTES.refresh)).status).toBe(401);
      expect(await api.adminQuery('SELECT 1 FROM known_devices WHERE user_id = $1', [doctor.userId])).toEqual([]);
      const [{ ended }] = await api.adminQuery<{ ended: string }>(
        "SELECT substring(reason from '^every session \\((\\d+) live\\)') AS ended FROM audit_events WHERE subject_id = $1 AND action = 'session.revoke'",
        [doctor.userId],
      );
      expect(Number(ended)).toBeGreaterThanOrEqual(1);
      expect(await rowsOf(doctor.userId, 'session.revoke')).toEqual([
        { outcome: 'allow', actor: operator.userId, reason: `every session (${ended} live), by operator ${operator.userId}`, record: null },
      ]);
      // Their standing is unchanged, and the operator's own session goes on.
      expect((await me(operator)).status).toBe(200);
      expect((await queue('approved')).body.items.find((item) => item.id === doctor.userId)?.status).toBe('approved');
      // The clinician signs in again as before.
      const again = await testClient(api.baseUrl).send(ROUTES.login, { body: { email: doctor.request.email, authKey: doctor.request.authKey } });
      expect(again.status).toBe(200);
    });

    it('ends no session of a patient or an auditor (404, in the operator’s trail), and refuses every role but operators (403), no or a forged token (401), a malformed id (400)', async () => {
      const auditor = await registerStaff(api, 'auditor');
      const doctor = await registerUser(api, 'doctor');
      for (const other of [patient, auditor]) {
        expect((await endSessions(other.userId)).status).toBe(404);
        expect((await me(other)).status).toBe(200);
      }
      expect((await rowsOf(operator.userId, 'session.revoke')).filter((row) => row.outcome === 'deny').map((row) => row.reason)).toEqual(
        expect.arrayContaining([`no clinician ${patient.userId}`, `no clinician ${auditor.userId}`]),
      );
      for (const caller of [patient, doctor, auditor]) expect((await endSessions(doctor.userId, caller.token)).status).toBe(403);
      expect((await me(doctor)).status).toBe(200);
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.endClinicianSessions, { params: { id: doctor.userId } })).status).toBe(401);
      expect((await endSessions(doctor.userId, forgeToken(randomBytes(32).toString('base64'), { userId: operator.userId, role: 'operator' }))).status).toBe(401);
      expect((await endSessions('not-a-uuid')).status).toBe(400);
      expect((await endSessions(randomUUID())).status).toBe(404);
      expect((await me(doctor)).status).toBe(200);
    });
  });

  describe('only operators', () => {
    it('refuses every clinician route to a patient, a doctor and an auditor with 403, audited, and changes nothing', async () => {
      const doctor = await registerUnverifiedDoctor(api);
      const approvedDoctor = await registerUser(api, 'doctor', { displayName: 'Dr. Self Approver' });
      const auditor = await registerStaff(api, 'auditor');
      for (const caller of [patient, approvedDoctor, auditor]) {
        expect((await queue('pending', caller.token)).status).toBe(403);
        expect((await decide('approveClinician', doctor.userId, undefined, caller.token)).status).toBe(403);
        expect((await decide('suspendClinician', approvedDoctor.userId, { reason: 'x' }, caller.token)).status).toBe(403);
        const invite = await caller.client.send(ROUTES.inviteClinician, { token: caller.token, body: { email: uniqueEmail(), displayName: 'Dr. X', licence: 'L', organisation: 'O' } });
        expect(invite.status).toBe(403);
        expect((await rowsOf(caller.userId, 'route.access')).length).toBeGreaterThanOrEqual(4);
      }
      // A waiting doctor cannot approve themselves either.
      expect((await decide('approveClinician', doctor.userId, undefined, doctor.token)).status).toBe(403);
      expect((await me(doctor)).body.clinician?.status).toBe('pending');
      expect((await me(approvedDoctor)).body.clinician?.status).toBe('approved');
    });

    it('answers no token and a forged one with 401, a malformed id with 400 and an id of no clinician with 404 in the operator’s trail', async () => {
      expect((await testClient(api.baseUrl).send(ROUTES.listClinicians)).status).toBe(401);
      const forged = forgeToken(randomBytes(32).toString('base64'), { userId: operator.userId, role: 'operator' });
      expect((await testClient(api.baseUrl).send(ROUTES.listClinicians, { token: forged })).status).toBe(401);
      expect((await decide('approveClinician', 'not-an-id')).status).toBe(400);
      const unknown = randomUUID();
      expect((await decide('approveClinician', unknown)).status).toBe(404);
      expect((await decide('approveClinician', patient.userId)).status).toBe(404);
      expect(await rowsOf(operator.userId, 'clinician.approve')).toContainEqual({ outcome: 'deny', actor: operator.userId, reason: `no clinician ${unknown}`, record: null });
      // A status the contract does not know, on purpose.
      expect((await operator.client.unchecked().send(ROUTES.listClinicians, { query: { status: 'nonsense' }, token: operator.token })).status).toBe(400);
      expect((await operator.client.send(ROUTES.listRecords, { token: operator.token })).status).toBe(403);
      expect((await operator.client.send(ROUTES.searchDoctors, { body: { q: 'dr' }, token: operator.token })).status).toBe(403);
    });
  });

});
