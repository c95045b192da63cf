import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DOCTOR_WRAP_BYTES,
  EMERGENCY_REASON_TEXT_MAX_CHARS,
  ERROR_CODES,
  ROUTES,
  type BreakGlassRequest,
  type ConfigureEmergencyRequest,
  type EmergencyBreak,
} from '@phr/shared-types';
import { fingerprintOf } from '../src/identity/key-material.js';
import { NotificationMailer } from '../src/notifications/notification-mailer.js';
import { auditRowsOf, type AuditRow } from './support/audit.js';
import { decideOnClinician, fingerprintOf as userFingerprint, registerStaff, registerUnverifiedDoctor, registerUser, rsaPublicKey, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { commit, commitRequest, presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf } from './support/tokens.js';

/** Shaped like RSA-OAEP-3072 output; the API cannot open shares or wraps (browser-crypto/break-glass-server-blind.spec.ts makes real ones). */
const rsaBlob = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');
/** Every test account registers with the same public key (factories.rsaPublicKey). */
const accountFingerprint = () => fingerprintOf(rsaPublicKey());

describe('break-glass: a clinician reads a patient’s emergency records in a time box, with k of n holders’ shares (issue 16)', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let eve: RegisteredUser;
  let drHolder: RegisteredUser;
  let drEr: RegisteredUser;
  let drOther: RegisteredUser;
  let drPending: RegisteredUser;
  let auditor: RegisteredUser;
  let folderId: string;
  let inFolder: string[];
  let outside: string;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api, 'patient', { displayName: 'Alice Patient' });
    bob = await registerUser(api, 'patient', { displayName: 'Bob Holder' });
    eve = await registerUser(api);
    drHolder = await registerUser(api, 'doctor', { displayName: 'Dr Holder' });
    drEr = await registerUser(api, 'doctor', { displayName: 'Dr Emergency' });
    drOther = await registerUser(api, 'doctor', { displayName: 'Dr Other' });
    drPending = await registerUnverifiedDoctor(api, { displayName: 'Dr Pending' });
    auditor = await registerStaff(api, 'auditor');
    folderId = (await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } })).body.id;
    inFolder = [(await uploadRecord(alice, 1000, folderId)).summary.id, (await uploadRecord(alice, 2000, folderId)).summary.id];
    outside = (await uploadRecord(alice)).summary.id;
  });
  afterAll(async () => {
    await api?.close();
  });

  const folderSetup = (overrides: Partial<ConfigureEmergencyRequest> = {}): ConfigureEmergencyRequest => ({
    scope: 'folder',
    folderId,
    publicKey: rsaPublicKey(),
    sealedPrivateKey: sealedBlob(1800),
    keyCheck: sealedBlob(32),
    threshold: 2,
    holders: [
      { holderId: bob.userId, fingerprint: accountFingerprint(), share: rsaBlob() },
      { holderId: drHolder.userId, fingerprint: accountFingerprint(), share: rsaBlob() },
    ],
    wraps: inFolder.map((recordId) => ({ recordId, wrap: rsaBlob() })),
    ...overrides,
  });
  const configure = (user: RegisteredUser, body: unknown) => user.client.unchecked().send(ROUTES.configureEmergency, { token: user.token, body: body as ConfigureEmergencyRequest });
  const breakGlass = (user: RegisteredUser, body: object) =>
    user.client.unchecked().send(ROUTES.breakGlass, { token: user.token, body });
  const reason = (patient: RegisteredUser): BreakGlassRequest => ({ patientEmail: patient.request.email, reasonCode: 'ETREAT', reasonText: 'Unconscious in A&E, allergies needed' });
  const access = (user: RegisteredUser, id: string) => user.client.unchecked().send(ROUTES.emergencyAccess, { token: user.token, params: { id } });
  const readRecord = (user: RegisteredUser, id: string, recordId: string) => user.client.unchecked().send(ROUTES.emergencyRecord, { token: user.token, params: { id, recordId } });
  const release = (user: RegisteredUser, id: string, body: unknown) => user.client.unchecked().send(ROUTES.releaseEmergencyShare, { token: user.token, params: { id }, body: body as never });
  const review = (user: RegisteredUser, id: string, body: unknown) => user.client.unchecked().send(ROUTES.reviewEmergency, { token: user.token, params: { id }, body: body as never });
  /** Rows added to a trail by one call. */
  async function rowsAddedBy(subjectId: string, call: () => Promise<unknown>): Promise<AuditRow[]> {
    const before = (await auditRowsOf(api, subjectId)).length;
    await call();
    return (await auditRowsOf(api, subjectId)).slice(before);
  }
  const summary = (row: AuditRow) => ({ action: row.action, outcome: row.outcome, actor: row.actor_id, reason: row.reason, record: row.record_id });

  describe('the patient’s setup', () => {
    it('is off until the patient sets it up', async () => {
      const response = await alice.client.send(ROUTES.emergencySetup, { token: alice.token });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ scope: 'off', holders: [], generation: 0, needsRekey: false, hours: 24 });
    });

    it('finds a holder by exact email, another patient or an approved clinician, never a pending one or oneself', async () => {
      const find = async (email: string) => (await alice.client.send(ROUTES.emergencyHolderCandidates, { token: alice.token, body: { email } })).body.items.map((item) => item.id);
      expect(await find(bob.request.email.toUpperCase())).toEqual([bob.userId]);
      const [clinician] = (await alice.client.send(ROUTES.emergencyHolderCandidates, { token: alice.token, body: { email: drHolder.request.email } })).body.items;
      expect(clinician).toMatchObject({ id: drHolder.userId, role: 'doctor', publicKey: rsaPublicKey(), fingerprint: accountFingerprint(), organisation: 'St Mary’s Hospital' });
      expect(await find(drPending.request.email)).toEqual([]);
      expect(await find(alice.request.email)).toEqual([]);
      expect(await find('nobody@example.org')).toEqual([]);
    });

    it('has no GET form for the holder look-up: an email in the query string is not served (404; ASVS 5.0 14.2.1)', async () => {
      const response = await fetch(`${api.baseUrl}/api/emergency/holder-candidates?email=${encodeURIComponent(bob.request.email)}`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain(bob.userId);
      const malformed = await alice.client.unchecked().send(ROUTES.emergencyHolderCandidates, { token: alice.token, body: { email: 'not-an-address' } });
      expect([malformed.status, malformed.error?.fields?.map((field) => field.field)]).toEqual([400, ['email']]);
    });

    it.each([
      ['scope', { scope: 'sometimes' }],
      ['threshold', { threshold: 3 }],
      ['threshold', { threshold: 0 }],
      ['holders', { holders: [] }],
      ['holders.0.share', { holders: [{ holderId: randomUUID(), fingerprint: 'a'.repeat(64), share: 'short' }] }],
      ['folderId', { folderId: undefined }],
      ['publicKey', { publicKey: 'not-a-key' }],
      ['hours', { hours: 100 }],
    ])('refuses a setup with a bad %s (400 naming it)', async (field, overrides) => {
      const response = await configure(alice, { ...folderSetup(), ...overrides });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it('refuses wraps that do not match the records in scope, a folder of another patient and a share made for a replaced key', async () => {
      const missing = await configure(alice, folderSetup({ wraps: [{ recordId: inFolder[0], wrap: rsaBlob() }] }));
      expect([missing.status, missing.error?.code, missing.error?.fields?.[0].field]).toEqual([400, ERROR_CODES.wrapsMismatch, 'wraps']);
      const extra = await configure(alice, folderSetup({ wraps: [...inFolder, outside].map((recordId) => ({ recordId, wrap: rsaBlob() })) }));
      expect(extra.error?.code).toBe(ERROR_CODES.wrapsMismatch);
      const evesFolder = (await eve.client.send(ROUTES.createFolder, { token: eve.token, body: { name: sealedBlob(20) } })).body.id;
      const foreign = await configure(alice, folderSetup({ folderId: evesFolder, wraps: [] }));
      expect([foreign.status, foreign.error?.fields?.[0].field]).toEqual([400, 'folderId']);
      const stale = await configure(alice, folderSetup({ holders: [{ holderId: bob.userId, fingerprint: 'b'.repeat(64), share: rsaBlob() }], threshold: 1 }));
      expect([stale.status, stale.error?.code]).toEqual([409, ERROR_CODES.keyChanged]);
      const self = await configure(alice, folderSetup({ holders: [{ holderId: alice.userId, fingerprint: accountFingerprint(), share: rsaBlob() }], threshold: 1 }));
      expect([self.status, self.error?.fields?.[0].field]).toEqual([400, 'holders']);
      expect((await alice.client.send(ROUTES.emergencySetup, { token: alice.token })).body.scope).toBe('off');
    });

    it('refuses a holder the look-up would not offer: an auditor, an operator, a pending or a suspended clinician (400 naming holders)', async () => {
      const operator = await registerStaff(api, 'operator');
      const drSuspended = await registerUser(api, 'doctor', { displayName: 'Dr Suspended' });
      await decideOnClinician(api, drSuspended.userId, 'suspend');
      for (const holder of [auditor, operator, drPending, drSuspended]) {
        const response = await configure(alice, folderSetup({ holders: [{ holderId: holder.userId, fingerprint: userFingerprint(holder), share: rsaBlob() }], threshold: 1 }));
        expect([holder.request.email, response.status, response.error?.fields?.map((problem) => problem.field)]).toEqual([holder.request.email, 400, ['holders']]);
        expect(response.error?.fields?.[0].message).toContain(holder.userId);
      }
      expect((await alice.client.send(ROUTES.emergencySetup, { token: alice.token })).body.scope).toBe('off');
    });

    it('refuses every role but the patient, and a request without a valid token', async () => {
      for (const user of [drEr, auditor]) expect((await configure(user, folderSetup())).status).toBe(403);
      expect((await drEr.client.unchecked().send(ROUTES.emergencySetup, { token: drEr.token })).status).toBe(403);
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.configureEmergency, { body: folderSetup() })).status).toBe(401);
      for (const [name, token] of Object.entries(badTokens(TEST_JWT_SECRET, alice.userId, sessionIdOf(alice.token)))) {
        const response = await testClient(api.baseUrl).unchecked().send(ROUTES.configureEmergency, { token, body: folderSetup() });
        expect([name, response.status]).toEqual([name, 401]);
      }
    });

    it('stores the emergency folder with k of n holders, audited as emergency.configured', async () => {
      const rows = await rowsAddedBy(alice.userId, async () => {
        const response = await configure(alice, folderSetup());
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ scope: 'folder', folderId, threshold: 2, fingerprint: accountFingerprint(), generation: 1, needsRekey: false, hours: 24 });
        expect(response.body.holders.map((holder: { displayName: string }) => holder.displayName).sort()).toEqual(['Bob Holder', 'Dr Holder']);
      });
      expect(rows.map(summary)).toEqual([
        { action: 'emergency.configured', outcome: 'allow', actor: alice.userId, reason: `scope folder ${folderId}; 2 of 2 holder(s); 24 h; key ${accountFingerprint()}; generation 1`, record: null },
      ]);
    });
  });

  describe('new uploads where break-glass reaches', () => {
    it('names the emergency key at presign and refuses a commit without its wrap (409 EMERGENCY_WRAP_MISSING)', async () => {
      const upload = await presign(alice, 500);
      expect(upload.emergencyKey).toBeNull();
      await putSegments(upload, segmentBodies(500));
      const into = await alice.client.send(ROUTES.presignUpload, { token: alice.token, body: { size: 500, folderId } });
      expect(into.body.emergencyKey).toEqual({ publicKey: rsaPublicKey(), keyCheck: expect.any(String) });
      await putSegments(into.body, segmentBodies(500));
      const without = await commit(alice, commitRequest(into.body.recordId, folderId));
      expect([without.status, without.error?.code, without.error?.fields?.[0].field]).toEqual([409, ERROR_CODES.emergencyWrapMissing, 'emergencyWrap']);
      const misplaced = await commit(alice, { ...commitRequest(upload.recordId), emergencyWrap: rsaBlob() });
      expect([misplaced.status, misplaced.error?.fields?.[0].field]).toEqual([400, 'emergencyWrap']);
      const withWrap = await commit(alice, { ...commitRequest(into.body.recordId, folderId), emergencyWrap: rsaBlob() });
      expect(withWrap.status).toBe(201);
      inFolder.push(into.body.recordId);
      expect(await api.adminQuery('SELECT record_id FROM emergency_wraps WHERE record_id = $1', [into.body.recordId])).toHaveLength(1);
      expect((await alice.client.send(ROUTES.emergencySetup, { token: alice.token })).body.needsRekey).toBe(false);
    });

    it('asks for a re-key when a record moved into scope has no emergency wrap', async () => {
      const moved = (await uploadRecord(alice)).summary.id;
      await alice.client.send(ROUTES.moveRecord, { token: alice.token, params: { id: moved }, body: { folderId } });
      expect((await alice.client.send(ROUTES.emergencySetup, { token: alice.token })).body.needsRekey).toBe(true);
      await alice.client.send(ROUTES.moveRecord, { token: alice.token, params: { id: moved }, body: { folderId: null } });
      expect((await alice.client.send(ROUTES.emergencySetup, { token: alice.token })).body.needsRekey).toBe(false);
    });
  });

  describe('breaking the glass', () => {
    let broken: EmergencyBreak;

    it.each([
      ['reasonCode', { reasonCode: 'CURIOSITY' }],
      ['reasonCode', { reasonCode: undefined }],
      ['reasonText', { reasonText: undefined }],
      ['reasonText', { reasonText: '  ' }],
      ['reasonText', { reasonText: 'x'.repeat(EMERGENCY_REASON_TEXT_MAX_CHARS + 1) }],
      ['reasonText', { reasonText: 'two\nlines here' }],
      ['patientEmail', { patientEmail: 'not an email' }],
    ])('refuses a break with a wrong or missing %s (400 naming it)', async (field, overrides) => {
      const response = await breakGlass(drEr, { ...reason(alice), ...overrides });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it('refuses a patient and an auditor (the role’s 403, filed as route.access)', async () => {
      for (const user of [bob, auditor]) {
        const rows = await rowsAddedBy(user.userId, async () => expect((await breakGlass(user, reason(alice))).status).toBe(403));
        expect(rows.map((row) => [row.action, row.outcome])).toEqual([['route.access', 'deny']]);
      }
    });

    it('refuses a doctor whose approval does not stand (403 CLINICIAN_NOT_VERIFIED, filed)', async () => {
      const rows = await rowsAddedBy(drPending.userId, async () => {
        const response = await breakGlass(drPending, reason(alice));
        expect([response.status, response.error?.code]).toEqual([403, ERROR_CODES.clinicianNotVerified]);
      });
      expect(rows.map(summary)).toEqual([{ action: 'emergency.broken', outcome: 'deny', actor: drPending.userId, reason: "clinician pending: no operator's approval stands", record: null }]);
    });

    it('refuses a patient who allows no break-glass (409 EMERGENCY_OFF, in that patient’s trail) and an unknown email (404)', async () => {
      const rows = await rowsAddedBy(eve.userId, async () => {
        const response = await breakGlass(drEr, reason(eve));
        expect([response.status, response.error?.code]).toEqual([409, ERROR_CODES.emergencyOff]);
      });
      expect(rows.map(summary)).toEqual([{ action: 'emergency.broken', outcome: 'deny', actor: drEr.userId, reason: 'ETREAT: the patient allows no break-glass', record: null }]);
      expect((await breakGlass(drEr, { ...reason(eve), patientEmail: 'nobody-here@example.org' })).status).toBe(404);
    });

    it('refuses a request without a valid token', async () => {
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.breakGlass, { body: reason(alice) })).status).toBe(401);
      for (const [name, token] of Object.entries(badTokens(TEST_JWT_SECRET, drEr.userId, sessionIdOf(drEr.token)))) {
        expect([name, (await testClient(api.baseUrl).unchecked().send(ROUTES.breakGlass, { token, body: reason(alice) })).status]).toEqual([name, 401]);
      }
    });

    it('breaks the glass: waiting for k shares, the patient, both holders and the patient’s trusted contact told at once', async () => {
      // A trusted contact of Alice's (over an empty folder of its own: no wraps to make), to be told too.
      const carol = await registerUser(api, 'patient', { displayName: 'Carol Contact' });
      const emptyFolder = (await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } })).body.id;
      const contact = await alice.client.send(ROUTES.nameTrustedContact, {
        token: alice.token,
        body: { contactId: carol.userId, email: carol.request.email, scope: 'folder', folderId: emptyFolder, waitDays: 7, fingerprint: userFingerprint(carol), wraps: [] },
      });
      expect(contact.status).toBe(201);
      // Alice opted out of access notices in both channels: a break-glass is told all the same.
      const optOut = await alice.client.send(ROUTES.updateNotificationSettings, { token: alice.token, body: { portalOptOut: ['access'], emailOptOut: ['access'] } });
      expect(optOut.status).toBe(200);
      await api.adminQuery('DELETE FROM notification_mail_due WHERE subject_id = $1', [alice.userId]);
      const patientRows = await rowsAddedBy(alice.userId, async () => {
        const response = await breakGlass(drEr, reason(alice));
        expect(response.status).toBe(201);
        broken = response.body;
      });
      expect(broken).toMatchObject({ patientId: alice.userId, patientName: 'Alice Patient', clinicianId: drEr.userId, clinicianName: 'Dr Emergency', reasonCode: 'ETREAT', scope: 'folder', threshold: 2, sharesReleased: 0, state: 'waiting' });
      expect(Date.parse(broken.expiresAt) - Date.parse(broken.createdAt)).toBeGreaterThan(23.9 * 3600_000);
      const told = { action: 'emergency.broken', outcome: 'allow', actor: drEr.userId, reason: `break ${broken.id} of ${alice.userId}: ETREAT: Unconscious in A&E, allergies needed`, record: null };
      expect(patientRows.map(summary)).toEqual([told]);
      // The others are told the code, not the clinician's words about Alice's health (nor is the SIEM, from their rows).
      const toldOthers = { ...told, reason: `break ${broken.id} of ${alice.userId}: ETREAT` };
      for (const person of [bob, drHolder, carol]) {
        const rows = (await auditRowsOf(api, person.userId)).map(summary);
        expect(rows).toContainEqual(toldOthers);
        expect(JSON.stringify(rows)).not.toContain('Unconscious');
      }
      expect((await carol.client.send(ROUTES.listNotifications, { token: carol.token })).body.items[0]).toMatchObject({ kind: 'access', event: { action: 'emergency.broken' } });
      // Someone who is neither holder nor contact hears nothing.
      expect((await auditRowsOf(api, eve.userId)).map(summary)).not.toContainEqual(toldOthers);
      const notifications = await alice.client.send(ROUTES.listNotifications, { token: alice.token });
      expect(notifications.body.items[0]).toMatchObject({ kind: 'access', isUnread: true, event: { action: 'emergency.broken', actorId: drEr.userId } });
      expect((await alice.client.send(ROUTES.unreadNotifications, { token: alice.token })).body.count).toBeGreaterThanOrEqual(1);
      await api.adminQuery('UPDATE notification_settings SET last_emailed_at = NULL WHERE user_id = $1', [alice.userId]);
      expect(await api.app.get(NotificationMailer).run()).toBeGreaterThanOrEqual(1);
      expect((await api.mail.next(alice.request.email, { subject: 'Something happened in your health records account' })).text).not.toContain('Unconscious');
      expect((await alice.client.send(ROUTES.emergencySetup, { token: alice.token })).body.needsRekey).toBe(true);
    });

    it('shows nothing to read while shares are missing (409 EMERGENCY_WAITING)', async () => {
      const view = await access(drEr, broken.id);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ shares: [], publicKey: null, sealedPrivateKey: null, records: [] });
      const rows = await rowsAddedBy(alice.userId, async () => {
        const response = await readRecord(drEr, broken.id, inFolder[0]);
        expect([response.status, response.error?.code]).toEqual([409, ERROR_CODES.emergencyWaiting]);
      });
      expect(rows.map(summary)).toEqual([{ action: 'record.read', outcome: 'deny', actor: drEr.userId, reason: `break-glass ${broken.id}: waiting for shares`, record: inFolder[0] }]);
    });

    it('lists the request for each holder with their share and the clinician’s key, and nothing for anyone else', async () => {
      const requests = await bob.client.send(ROUTES.emergencyShareRequests, { token: bob.token });
      expect(requests.body.items).toEqual([
        expect.objectContaining({ breakGlass: expect.objectContaining({ id: broken.id }), clinicianPublicKey: rsaPublicKey(), clinicianFingerprint: accountFingerprint(), share: expect.objectContaining({ holderId: bob.userId }) }),
      ]);
      expect((await eve.client.send(ROUTES.emergencyShareRequests, { token: eve.token })).body.items).toEqual([]);
      expect((await auditor.client.unchecked().send(ROUTES.emergencyShareRequests, { token: auditor.token })).status).toBe(403);
    });

    it('refuses a release by someone who holds no share (404, in the patient’s trail), for another key (409 KEY_CHANGED), malformed (400)', async () => {
      const body = { fingerprint: accountFingerprint(), share: rsaBlob() };
      const rows = await rowsAddedBy(alice.userId, async () => {
        expect((await release(eve, broken.id, body)).status).toBe(404);
        const forSomeoneElse = await release(bob, broken.id, { ...body, fingerprint: 'c'.repeat(64) });
        expect([forSomeoneElse.status, forSomeoneElse.error?.code]).toEqual([409, ERROR_CODES.keyChanged]);
      });
      expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.reason])).toEqual([
        ['emergency.share-released', 'deny', eve.userId, `break ${broken.id}: not a holder of this patient`],
        ['emergency.share-released', 'deny', bob.userId, `break ${broken.id}: share wrapped for key ${'c'.repeat(64)}, not the clinician's current key`],
      ]);
      const malformed = await release(bob, broken.id, { fingerprint: 'XYZ', share: 'short' });
      expect(malformed.status).toBe(400);
      expect(malformed.error?.fields?.map((problem) => problem.field).sort()).toEqual(['fingerprint', 'share']);
      expect((await release(bob, 'not-a-uuid', body)).status).toBe(400);
      expect((await release(bob, randomUUID(), body)).status).toBe(404);
      expect((await testClient(api.baseUrl).unchecked().send(ROUTES.releaseEmergencyShare, { params: { id: broken.id }, body })).status).toBe(401);
    });

    it('takes each holder’s share once; at k shares the clinician gets the sealed key and the records in scope', async () => {
      const share = rsaBlob();
      const rows = await rowsAddedBy(alice.userId, async () => {
        const first = await release(bob, broken.id, { fingerprint: accountFingerprint(), share });
        expect([first.status, first.body.sharesReleased, first.body.state]).toEqual([200, 1, 'waiting']);
        const twice = await release(bob, broken.id, { fingerprint: accountFingerprint(), share: rsaBlob() });
        expect([twice.status, twice.error?.code]).toEqual([409, ERROR_CODES.emergencyShareReleased]);
      });
      expect(rows.map((row) => [row.action, row.outcome, row.actor_id])).toEqual([
        ['emergency.share-released', 'allow', bob.userId],
        ['emergency.share-released', 'deny', bob.userId],
      ]);
      expect((await bob.client.send(ROUTES.emergencyShareRequests, { token: bob.token })).body.items).toEqual([]);
      // A doctor holds a share as a clinician: suspended, they release none; reinstated, they do.
      await decideOnClinician(api, drHolder.userId, 'suspend');
      const suspended = await rowsAddedBy(alice.userId, async () => {
        const refused = await release(drHolder, broken.id, { fingerprint: accountFingerprint(), share: rsaBlob() });
        expect([refused.status, refused.error?.code]).toEqual([403, ERROR_CODES.clinicianNotVerified]);
      });
      expect(suspended.map((row) => [row.action, row.outcome, row.reason])).toEqual([['emergency.share-released', 'deny', `break ${broken.id}: holder is a clinician suspended`]]);
      await decideOnClinician(api, drHolder.userId, 'reinstate');
      const second = await release(drHolder, broken.id, { fingerprint: accountFingerprint(), share: rsaBlob() });
      expect(second.body.state).toBe('open');

      const view = await access(drEr, broken.id);
      expect(view.status).toBe(200);
      expect(view.body.shares).toHaveLength(2);
      expect(view.body.shares).toContainEqual({ holderId: bob.userId, share });
      expect(view.body.publicKey).toBe(rsaPublicKey());
      expect(view.body.sealedPrivateKey).toEqual(expect.any(String));
      expect(view.body.records.map((record: { recordId: string }) => record.recordId).sort()).toEqual([...inFolder].sort());
    });

    it('reads a record in scope, filed as record.read with reason "break-glass"; one outside the scope is refused', async () => {
      const rows = await rowsAddedBy(alice.userId, async () => {
        const response = await readRecord(drEr, broken.id, inFolder[0]);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ id: inFolder[0], ownerId: alice.userId, folderId });
        expect(response.body.segments).toHaveLength(1);
        const segment = await fetch(response.body.segments[0].url);
        expect(segment.status).toBe(200);
        expect((await readRecord(drEr, broken.id, outside)).status).toBe(404);
      });
      expect(rows.map(summary)).toEqual([
        { action: 'record.read', outcome: 'allow', actor: drEr.userId, reason: 'break-glass', record: inFolder[0] },
        { action: 'record.read', outcome: 'deny', actor: drEr.userId, reason: `break-glass ${broken.id}: not in scope`, record: outside },
      ]);
    });

    it('refuses the clinician who broke the glass once their approval is withdrawn (403, filed in the patient’s trail), and reads again once reinstated', async () => {
      await decideOnClinician(api, drEr.userId, 'suspend');
      const rows = await rowsAddedBy(alice.userId, async () => {
        const read = await readRecord(drEr, broken.id, inFolder[0]);
        expect([read.status, read.error?.code]).toEqual([403, ERROR_CODES.clinicianNotVerified]);
      });
      expect(rows.map(summary)).toEqual([{ action: 'record.read', outcome: 'deny', actor: drEr.userId, reason: "clinician suspended: no operator's approval stands", record: inFolder[0] }]);
      await decideOnClinician(api, drEr.userId, 'reinstate');
      expect((await readRecord(drEr, broken.id, inFolder[0])).status).toBe(200);
    });

    it('refuses another clinician naming the break (404, filed in the patient’s trail), and malformed ids (400)', async () => {
      const rows = await rowsAddedBy(alice.userId, async () => {
        expect((await access(drOther, broken.id)).status).toBe(404);
        expect((await readRecord(drOther, broken.id, inFolder[0])).status).toBe(404);
      });
      expect(rows.map((row) => [row.action, row.outcome, row.actor_id])).toEqual([
        ['emergency.list', 'deny', drOther.userId],
        ['record.read', 'deny', drOther.userId],
      ]);
      expect((await readRecord(drEr, broken.id, 'nope')).status).toBe(400);
      expect((await access(bob, broken.id)).status).toBe(403);
    });

    it('lists the break for the patient and the clinician', async () => {
      expect((await alice.client.send(ROUTES.listEmergencyBreaks, { token: alice.token })).body.items.map((item) => item.id)).toContain(broken.id);
      expect((await drEr.client.send(ROUTES.listEmergencyBreaks, { token: drEr.token })).body.items.map((item) => item.id)).toEqual([broken.id]);
      expect((await drOther.client.send(ROUTES.listEmergencyBreaks, { token: drOther.token })).body.items).toEqual([]);
    });

    it('refuses everything after the time box (410 EMERGENCY_ENDED), filed in the patient’s trail', async () => {
      await api.adminQuery(`UPDATE emergency_breaks SET expires_at = now() - interval '1 second' WHERE id = $1`, [broken.id]);
      const rows = await rowsAddedBy(alice.userId, async () => {
        const view = await access(drEr, broken.id);
        expect([view.status, view.error?.code]).toEqual([410, ERROR_CODES.emergencyEnded]);
        const read = await readRecord(drEr, broken.id, inFolder[0]);
        expect([read.status, read.error?.code]).toEqual([410, ERROR_CODES.emergencyEnded]);
        const late = await release(drHolder, broken.id, { fingerprint: accountFingerprint(), share: rsaBlob() });
        expect(late.status).toBe(410);
      });
      expect(rows.map((row) => [row.action, row.outcome, row.reason])).toEqual([
        ['emergency.list', 'deny', `break-glass ${broken.id}: ended`],
        ['record.read', 'deny', `break-glass ${broken.id}: ended`],
        ['emergency.share-released', 'deny', `break ${broken.id}: ended`],
      ]);
      expect((await drEr.client.send(ROUTES.listEmergencyBreaks, { token: drEr.token })).body.items[0].state).toBe('ended');
    });

    it('puts the break in the auditors’ queue; an auditor records the outcome, audited in the patient’s trail', async () => {
      const queue = await auditor.client.send(ROUTES.emergencyReviews, { token: auditor.token, query: { status: 'pending' } });
      expect(queue.body.items.map((item) => item.id)).toContain(broken.id);
      for (const [field, body] of [
        ['outcome', { outcome: 'maybe', note: 'Checked' }],
        ['note', { outcome: 'justified' }],
        ['note', { outcome: 'justified', note: 'x'.repeat(1001) }],
      ] as const) {
        const response = await review(auditor, broken.id, body);
        expect([response.status, response.error?.fields?.[0].field]).toEqual([400, field]);
      }
      expect((await review(alice, broken.id, { outcome: 'justified', note: 'mine' })).status).toBe(403);
      expect((await review(drEr, broken.id, { outcome: 'justified', note: 'mine' })).status).toBe(403);
      expect((await review(auditor, randomUUID(), { outcome: 'justified', note: 'none' })).status).toBe(404);
      expect((await alice.client.unchecked().send(ROUTES.emergencyReviews, { token: alice.token })).status).toBe(403);
      const rows = await rowsAddedBy(alice.userId, async () => {
        const reviewed = await review(auditor, broken.id, { outcome: 'justified', note: 'A&E record confirms the admission' });
        expect(reviewed.status).toBe(200);
        expect(reviewed.body).toMatchObject({ reviewOutcome: 'justified', reviewNote: 'A&E record confirms the admission', reviewedAt: expect.any(String) });
      });
      expect(rows.map(summary)).toEqual([
        { action: 'emergency.reviewed', outcome: 'allow', actor: auditor.userId, reason: `break ${broken.id}: justified: A&E record confirms the admission`, record: null },
      ]);
      const reviewed = await auditor.client.send(ROUTES.emergencyReviews, { token: auditor.token, query: { status: 'reviewed' } });
      expect(reviewed.body.items.map((item) => item.id)).toContain(broken.id);
    });

    it('re-keys: a new generation, the earlier breaks ended (emergency.ended)', async () => {
      const open = await breakGlass(drEr, { ...reason(alice), reasonCode: 'BTG' });
      expect(open.status).toBe(201);
      const rows = await rowsAddedBy(alice.userId, async () => {
        const response = await configure(alice, folderSetup({ threshold: 1 }));
        expect(response.body).toMatchObject({ generation: 2, needsRekey: false, threshold: 1 });
      });
      expect(rows.map((row) => [row.action, row.reason])).toEqual([
        ['emergency.ended', `break ${open.body.id}: the emergency key was replaced`],
        ['emergency.configured', expect.stringContaining('generation 2')],
      ]);
      const ended = await access(drEr, open.body.id);
      expect(ended.status).toBe(410);
    });

    it('turns off: nothing stays, and a break is refused', async () => {
      expect((await configure(alice, { scope: 'off', threshold: 1 })).error?.fields?.[0].field).toBe('threshold');
      const off = await configure(alice, { scope: 'off' });
      expect(off.body).toMatchObject({ scope: 'off', holders: [], publicKey: null });
      expect(await api.adminQuery('SELECT * FROM emergency_wraps WHERE patient_id = $1', [alice.userId])).toEqual([]);
      expect(await api.adminQuery('SELECT * FROM emergency_holders WHERE patient_id = $1', [alice.userId])).toEqual([]);
      expect((await breakGlass(drEr, reason(alice))).error?.code).toBe(ERROR_CODES.emergencyOff);
    });
  });
});
