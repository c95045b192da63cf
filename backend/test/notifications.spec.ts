import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOCTOR_WRAP_BYTES, ERROR_CODES, ROUTES, type NotificationKind, type RouteName } from '@phr/shared-types';
import { NotificationMailer } from '../src/notifications/notification-mailer.js';
import { auditRowsOf } from './support/audit.js';
import { insertAuditor, registerStaff, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf, sessionTokenFor } from './support/tokens.js';

/**
 * Notifications (docs/protocol.md "Notifications"): derived from the account's own trail (others'
 * record reads, refusals, shares and expiries), an unread count, a read mark, per-kind opt-outs,
 * and one mail per account per gap, with no content, sent to the real SMTP server of the test app.
 */
describe('notifications from the account’s own trail', () => {
  let api: TestApp;
  let mailer: NotificationMailer;

  beforeAll(async () => {
    // A gap of an hour: the flood test shows one mail, not one per refusal.
    api = await startTestApp({ NOTIFICATION_MAIL_GAP_SECONDS: '3600' });
    mailer = api.app.get(NotificationMailer);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** A patient with one record shared with a doctor who has read it once; a stranger tried once. */
  async function sharedAndRead(): Promise<{ patient: RegisteredUser; doctor: RegisteredUser; stranger: RegisteredUser; recordId: string }> {
    const patient = await registerUser(api);
    const doctor = await registerUser(api, 'doctor', { displayName: 'Sam Okafor' });
    const stranger = await registerUser(api);
    const { summary } = await uploadRecord(patient);
    const wraps = [{ recordId: summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    const consent = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'record', recordId: summary.id, wraps } });
    expect(consent.status).toBe(201);
    expect((await doctor.client.send(ROUTES.getRecord, { params: { id: summary.id }, token: doctor.token })).status).toBe(200);
    expect((await stranger.client.send(ROUTES.getRecord, { params: { id: summary.id }, token: stranger.token })).status).toBe(404);
    // The patient's own read is no notification.
    expect((await patient.client.send(ROUTES.getRecord, { params: { id: summary.id }, token: patient.token })).status).toBe(200);
    return { patient, doctor, stranger, recordId: summary.id };
  }

  const list = (user: RegisteredUser) => user.client.send(ROUTES.listNotifications, { token: user.token });
  const unread = async (user: RegisteredUser) => (await user.client.send(ROUTES.unreadNotifications, { token: user.token })).body.count;

  it('lists a doctor’s read, a stranger’s refused attempt and the share, newest first, each the trail’s own row, all unread', async () => {
    const { patient, doctor, stranger, recordId } = await sharedAndRead();
    const page = await list(patient);
    expect(page.status).toBe(200);
    expect(page.body.items.map((item) => [item.kind, item.event.action, item.event.outcome, item.event.actorId, item.isUnread])).toEqual([
      ['denied', 'record.read', 'deny', stranger.userId, true],
      ['access', 'record.read', 'allow', doctor.userId, true],
      ['sharing', 'consent.grant', 'allow', patient.userId, true],
    ]);
    expect(page.body.items.every((item) => item.event.subjectId === patient.userId && item.event.recordId === recordId)).toBe(true);
    // The rows are the trail's, hashes included: the portal verifies them as it verifies the trail.
    const rows = await auditRowsOf(api, patient.userId);
    for (const item of page.body.items) expect(rows.find((row) => Number(row.seq) === item.event.seq)?.hash).toBe(item.event.hash);
    expect(await unread(patient)).toBe(3);
  });

  it('counts as read everything up to the seq marked, never moves the mark back, and pages with a cursor', async () => {
    const { patient } = await sharedAndRead();
    const [newest, middle] = (await list(patient)).body.items;
    expect((await patient.client.send(ROUTES.markNotificationsRead, { token: patient.token, body: { upToSeq: middle.event.seq } })).status).toBe(204);
    expect(await unread(patient)).toBe(1);
    expect((await list(patient)).body.items.map((item) => item.isUnread)).toEqual([true, false, false]);
    await patient.client.send(ROUTES.markNotificationsRead, { token: patient.token, body: { upToSeq: 1 } });
    expect(await unread(patient)).toBe(1);
    await patient.client.send(ROUTES.markNotificationsRead, { token: patient.token, body: { upToSeq: newest.event.seq } });
    expect(await unread(patient)).toBe(0);

    const first = await patient.client.send(ROUTES.listNotifications, { token: patient.token, query: { limit: 2 } });
    expect(first.body.items).toHaveLength(2);
    const second = await patient.client.send(ROUTES.listNotifications, { token: patient.token, query: { limit: 2, cursor: first.body.nextCursor ?? undefined } });
    expect(second.body.items.map((item) => item.kind)).toEqual(['sharing']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('does not let a read mark run ahead of the trail: later notifications are unread', async () => {
    const { patient, doctor, recordId } = await sharedAndRead();
    await patient.client.send(ROUTES.markNotificationsRead, { token: patient.token, body: { upToSeq: 1_000_000 } });
    expect(await unread(patient)).toBe(0);
    await doctor.client.send(ROUTES.getRecord, { params: { id: recordId }, token: doctor.token });
    expect(await unread(patient)).toBe(1);
  });

  it('leaves the kinds opted out of in the portal out of the list and the count, and files the change in the trail', async () => {
    const { patient } = await sharedAndRead();
    const saved = await patient.client.send(ROUTES.updateNotificationSettings, { token: patient.token, body: { portalOptOut: ['denied', 'denied'], emailOptOut: [] } });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ portalOptOut: ['denied'], emailOptOut: [] });
    expect((await patient.client.send(ROUTES.notificationSettings, { token: patient.token })).body).toEqual({ portalOptOut: ['denied'], emailOptOut: [] });
    expect((await list(patient)).body.items.map((item) => item.kind)).toEqual(['access', 'sharing']);
    expect(await unread(patient)).toBe(2);
    const [row] = (await auditRowsOf(api, patient.userId)).filter((audit) => audit.action === 'account.update');
    expect(row).toMatchObject({ actor_id: patient.userId, outcome: 'allow', reason: 'notifications opted out: portal [denied], email []' });
  });

  it('shows each account only its own: another patient’s marks and settings change nothing of the first', async () => {
    const { patient } = await sharedAndRead();
    const other = await registerUser(api);
    expect((await list(other)).body.items).toEqual([]);
    await other.client.send(ROUTES.markNotificationsRead, { token: other.token, body: { upToSeq: 1_000 } });
    await other.client.send(ROUTES.updateNotificationSettings, { token: other.token, body: { portalOptOut: ['access', 'denied', 'sharing'], emailOptOut: [] } });
    expect(await unread(patient)).toBe(3);
    expect((await patient.client.send(ROUTES.notificationSettings, { token: patient.token })).body).toEqual({ portalOptOut: [], emailOptOut: [] });
  });

  it('mails once per account and gap, with no content, to the real SMTP server; a flood of refusals is one mail', async () => {
    const { patient, stranger, recordId } = await sharedAndRead();
    expect(await mailer.run()).toBeGreaterThanOrEqual(1);
    const mail = await api.mail.next(patient.request.email);
    expect(mail.subject).toBe('Something happened in your health records account');
    expect(mail.text).toContain(`${api.config.portalOrigin}/notifications`);
    // No content: not the record, the person, the kind or the action.
    for (const secret of [recordId, stranger.userId, 'Okafor', 'doctor', 'opened', 'denied', 'refused', 'shared']) expect(mail.text.toLowerCase()).not.toContain(secret.toLowerCase());

    for (let attempt = 0; attempt < 20; attempt++) await stranger.client.send(ROUTES.getRecord, { params: { id: recordId }, token: stranger.token });
    expect(await mailer.run()).toBe(0);
    expect(await api.adminQuery('SELECT 1 FROM mail_outbox WHERE recipient = $1', [patient.request.email])).toEqual([]);
    expect(await api.mail.to(patient.request.email)).toHaveLength(2); // the registration link and the one notification
    // The rows are still waiting for the next mail, after the gap.
    expect(await api.adminQuery('SELECT 1 FROM notification_mail_due WHERE subject_id = $1', [patient.userId])).toHaveLength(1);
  });

  it('sends no mail for the kinds opted out of by mail, and mails the next kind that is wanted', async () => {
    const patient = await registerUser(api);
    const doctor = await registerUser(api, 'doctor');
    const stranger = await registerUser(api);
    const optOut: NotificationKind[] = ['access', 'sharing'];
    await patient.client.send(ROUTES.updateNotificationSettings, { token: patient.token, body: { portalOptOut: [], emailOptOut: optOut } });
    const { summary } = await uploadRecord(patient);
    const wraps = [{ recordId: summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'record', recordId: summary.id, wraps } });
    await doctor.client.send(ROUTES.getRecord, { params: { id: summary.id }, token: doctor.token });
    expect(await mailer.run()).toBe(0);
    // Taken (no longer due) but not mailed: the gap does not start either.
    expect(await api.adminQuery('SELECT 1 FROM notification_mail_due WHERE subject_id = $1', [patient.userId])).toHaveLength(0);
    expect(await api.adminQuery('SELECT last_emailed_at FROM notification_settings WHERE user_id = $1', [patient.userId])).toEqual([{ last_emailed_at: null }]);

    await stranger.client.send(ROUTES.getRecord, { params: { id: summary.id }, token: stranger.token });
    expect(await mailer.run()).toBe(1);
    expect((await api.mail.next(patient.request.email)).subject).toBe('Something happened in your health records account');
  });

  it('marks no auditor or operator for a mail (they have no notifications to see); their refused sign-ins stay in their trails', async () => {
    const auditor = await registerStaff(api, 'auditor');
    const operator = await registerStaff(api, 'operator');
    const patient = await registerUser(api);
    const accounts = [auditor, operator, patient];
    for (const account of accounts) {
      const refused = await testClient(api.baseUrl).unchecked().send(ROUTES.login, { body: { email: account.request.email, authKey: randomBytes(32).toString('base64url') } });
      expect(refused.status).toBe(401);
      expect((await auditRowsOf(api, account.userId)).filter((row) => row.outcome === 'deny' && row.actor_id === null)).toHaveLength(1);
    }
    const due = await api.adminQuery<{ subject_id: string }>('SELECT subject_id FROM notification_mail_due WHERE subject_id = ANY ($1::uuid[])', [accounts.map((account) => account.userId)]);
    expect(due.map((row) => row.subject_id)).toEqual([patient.userId]);
    expect(await mailer.run()).toBe(1);
    expect((await api.mail.next(patient.request.email)).subject).toBe('Something happened in your health records account');
  });

  it('drops the mark of a subject with no account (an erased one, the unknown sign-in’s subject) without a mail', async () => {
    const before = (await api.mail.all()).length;
    const gone = ['00000000-0000-0000-0000-000000000000', randomUUID()];
    await api.adminQuery('INSERT INTO notification_mail_due (subject_id) VALUES ($1), ($2) ON CONFLICT DO NOTHING', gone);
    expect(await mailer.run()).toBe(0);
    expect(await api.adminQuery('SELECT subject_id FROM notification_mail_due WHERE subject_id = ANY ($1::uuid[])', [gone])).toEqual([]);
    expect(await api.mail.all()).toHaveLength(before);
  });

  describe('refusals', () => {
    const routes: RouteName[] = ['listNotifications', 'unreadNotifications', 'markNotificationsRead', 'notificationSettings', 'updateNotificationSettings'];
    const bodyOf = (name: RouteName) => (name === 'markNotificationsRead' ? { upToSeq: 1 } : name === 'updateNotificationSettings' ? { portalOptOut: [], emailOptOut: [] } : undefined);

    it.each(routes)('%s answers 401 without a token and with forged tokens', async (name) => {
      const client = testClient(api.baseUrl);
      expect((await client.unchecked().send(ROUTES[name], { body: bodyOf(name) })).status).toBe(401);
      const patient = await registerUser(api);
      for (const [what, token] of Object.entries(badTokens(TEST_JWT_SECRET, patient.userId, sessionIdOf(patient.token)))) {
        const response = await client.unchecked().send(ROUTES[name], { token, body: bodyOf(name) });
        expect([what, response.status]).toEqual([what, 401]);
      }
    });

    it.each(routes)('%s answers 403 to an auditor', async (name) => {
      const auditorId = await insertAuditor(api.adminQuery);
      const token = await sessionTokenFor(api, auditorId, 'auditor');
      const response = await testClient(api.baseUrl).unchecked().send(ROUTES[name], { token, body: bodyOf(name) });
      expect(response.status).toBe(403);
      expect(response.error?.code).toBe(ERROR_CODES.forbidden);
    });

    it.each([
      ['markNotificationsRead', { upToSeq: -1 }, 'upToSeq'],
      ['markNotificationsRead', { upToSeq: 'all' }, 'upToSeq'],
      ['markNotificationsRead', {}, 'upToSeq'],
      ['markNotificationsRead', { upToSeq: 1, userId: '00000000-0000-4000-8000-000000000001' }, 'userId'],
      ['updateNotificationSettings', { portalOptOut: ['everything'], emailOptOut: [] }, 'portalOptOut'],
      ['updateNotificationSettings', { portalOptOut: [], emailOptOut: 'access' }, 'emailOptOut'],
      ['updateNotificationSettings', { portalOptOut: [] }, 'emailOptOut'],
    ] as const)('%s refuses %j with a 400 naming %s', async (name, body, field) => {
      const patient = await registerUser(api);
      const response = await patient.client.unchecked().send(ROUTES[name], { token: patient.token, body });
      expect(response.status).toBe(400);
      expect(response.error?.code).toBe(ERROR_CODES.validation);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });

    it.each([
      [{ limit: 0 }, 'limit'],
      [{ limit: 101 }, 'limit'],
      [{ cursor: 'not a cursor!' }, 'cursor'],
    ])('listNotifications refuses the query %j with a 400 naming %s', async (query, field) => {
      const patient = await registerUser(api);
      const response = await patient.client.unchecked().send(ROUTES.listNotifications, { token: patient.token, query });
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
    });
  });
});
