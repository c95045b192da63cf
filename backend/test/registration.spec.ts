import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES, type RegisterRequest } from '@phr/shared-types';
import { startMailCatcher } from '@phr/infra/local/mail/mail-catcher.js';
import { linkIn, registrationTokenIn } from '@phr/infra/local/mail/mailbox.js';
import { startApiProcess } from './support/api-process.js';
import { randomKey, registerUser, registration, registrationTokenFor, uniqueEmail, verifiedRegistration, type RegisteredUser } from './support/factories.js';
import { testClient, TEST_PORTAL_ORIGIN, type RouteResult } from './support/http.js';
import { statementsOfRequest } from './support/sql-statements.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const TOKEN_REFUSED = {
  field: 'registrationToken',
  message: 'This registration link is unknown, used or expired, or was made for another email; start the registration again',
};

/** Polls until `check` holds (the sender's first attempt is a moment after the answer). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a client can see of an answer, less what differs on every request. */
function visible(response: RouteResult<unknown>): unknown {
  const headers = [...response.headers.keys()].filter((name) => !['date', 'x-request-id', 'content-length'].includes(name)).sort();
  return { status: response.status, headers, contentType: response.headers.get('content-type'), body: response.body };
}

/**
 * Registration proves the email first (issue 11): POST /auth/register/start
 * answers the same for every address and mails either a link or, to an
 * existing account, a warning; POST /auth/register needs the link's token.
 */
describe('registration by email: it does not tell who has an account', () => {
  let api: TestApp;
  let owner: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    owner = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  const start = (body: unknown) => testClient(api.baseUrl).unchecked().send(ROUTES.startRegistration, { body });
  const complete = (body: RegisterRequest) => testClient(api.baseUrl).send(ROUTES.register, { body });
  const accountsWith = async (email: string) => (await api.adminQuery('SELECT id FROM users WHERE email = $1', [email.toLowerCase()])).length;

  it('mails a new address a link to the portal’s registration page, whose token finishes the registration', async () => {
    const email = uniqueEmail('new');
    const started = await start({ email, role: 'doctor' });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ linkExpiresInSeconds: 3600 });

    const mail = await api.mail.next(email);
    expect(mail.subject).toBe('Finish creating your health records account');
    const link = new URL(linkIn(mail) ?? '');
    expect(`${link.origin}${link.pathname}${link.search}`).toBe(`${TEST_PORTAL_ORIGIN}/register`);
    const fragment = new URLSearchParams(link.hash.slice(1));
    expect({ email: fragment.get('email'), role: fragment.get('role') }).toEqual({ email, role: 'doctor' });
    expect(fragment.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail.text).toContain('within an hour');

    const created = await complete(registration({ email, registrationToken: fragment.get('token') ?? '' }, 'doctor'));
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ email, role: 'doctor' });
  });

  it('answers a start for an address with an account exactly as for a new one, and mails its owner a warning with no link', async () => {
    const fresh = await start({ email: uniqueEmail('fresh') });
    const taken = await start({ email: owner.request.email.toUpperCase() });
    expect(visible(taken)).toEqual(visible(fresh));

    const warning = await api.mail.next(owner.request.email);
    expect(warning.subject).toBe('Someone tried to register with your email address');
    expect(warning.text).toContain(`sign in at ${TEST_PORTAL_ORIGIN}/login`);
    expect(warning.text).toContain(`recovery code at ${TEST_PORTAL_ORIGIN}/recover`);
    expect(registrationTokenIn(warning)).toBeNull();
    expect(warning.text).not.toMatch(/\/register/);
    expect(await accountsWith(owner.request.email)).toBe(1);
  });

  it('does the same database work for an address with an account as for a new one: the same statements, in the same order', async () => {
    // Timing is compared in `npm run bench` (registration start, taken/fresh), never asserted here (docs/testing.md).
    const takenEmail = owner.request.email;
    const fresh = await statementsOfRequest(api, () => start({ email: uniqueEmail('same-work') }));
    const taken = await statementsOfRequest(api, () => start({ email: takenEmail }));
    expect(fresh.some((sql) => sql.startsWith('INSERT INTO registration_tokens'))).toBe(true);
    expect(fresh.some((sql) => sql.startsWith('INSERT INTO mail_outbox'))).toBe(true);
    expect(taken).toEqual(fresh);
    await api.mail.next(takenEmail);
  });

  it('keeps no 409 for an email that has an account: a second link for it, used later, gets the 400 of a spent link', async () => {
    const email = uniqueEmail('twice');
    const [first, second] = [await registrationTokenFor(api, email), await registrationTokenFor(api, email)];
    expect((await complete(registration({ email, registrationToken: first }))).status).toBe(201);
    const again = await complete(registration({ email: email.toUpperCase(), registrationToken: second }));
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [TOKEN_REFUSED] });
    expect(await accountsWith(email)).toBe(1);
  });

  it('refuses a token used once already with 400 naming registrationToken', async () => {
    const request = await verifiedRegistration(api);
    expect((await complete(request)).status).toBe(201);
    const reused = await complete({ ...request, email: request.email, authKey: randomKey() });
    expect(reused.status).toBe(400);
    expect(reused.error?.fields).toEqual([TOKEN_REFUSED]);
  });

  it('lets one of two completions with the same token win; the other gets the same 400', async () => {
    const request = await verifiedRegistration(api);
    const answers = await Promise.all([complete(request), complete({ ...request, authKey: randomKey() })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 400]);
    expect(answers.find((answer) => answer.status === 400)?.error?.fields).toEqual([TOKEN_REFUSED]);
    expect(await accountsWith(request.email)).toBe(1);
  });

  it('refuses an expired token, makes no account and leaves the token unused', async () => {
    const request = await verifiedRegistration(api);
    const hash = createHash('sha256').update(request.registrationToken).digest();
    await api.adminQuery(`UPDATE registration_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hash]);
    const response = await complete(request);
    expect(response.status).toBe(400);
    expect(response.error?.fields).toEqual([TOKEN_REFUSED]);
    expect(await accountsWith(request.email)).toBe(0);
    expect(await api.adminQuery('SELECT used_at FROM registration_tokens WHERE token_hash = $1', [hash])).toEqual([{ used_at: null }]);
  });

  it('refuses a token made for another email, and the rightful address can still use it', async () => {
    const request = await verifiedRegistration(api);
    const other = uniqueEmail('other');
    const misused = await complete({ ...request, email: other });
    expect(misused.status).toBe(400);
    expect(misused.error?.fields).toEqual([TOKEN_REFUSED]);
    expect(await accountsWith(other)).toBe(0);
    expect((await complete(request)).status).toBe(201);
  });

  it('refuses a made-up token, and one from a start that key material later failed keeps working', async () => {
    expect((await complete(registration())).error?.fields).toEqual([TOKEN_REFUSED]);
    const request = await verifiedRegistration(api);
    const broken = await complete({ ...request, keys: { ...request.keys, publicKey: randomKey(300) } });
    expect(broken.status).toBe(400);
    expect(broken.error?.fields?.[0]?.field).toBe('keys.publicKey');
    expect((await complete(request)).status).toBe(201);
  });

  it('stores only a hash of the token, and deletes the mail (the link’s only other copy) once sent', async () => {
    const email = uniqueEmail('stored');
    const token = await registrationTokenFor(api, email);
    const rows = await api.adminQuery<{ token_hash: Buffer; email: string }>('SELECT token_hash, email FROM registration_tokens WHERE email = $1', [email]);
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest(), email }]);
    expect(JSON.stringify(await api.adminQuery('SELECT * FROM registration_tokens'))).not.toContain(token);
    // The mail is in the mailbox already; its row goes right after.
    await eventually(async () => (await api.adminQuery('SELECT 1 FROM mail_outbox WHERE recipient = $1', [email])).length === 0);
  });

  it.each([
    ['no email', {}, 'email'],
    ['a malformed email', { email: 'not-an-email' }, 'email'],
    ['the auditor role', { email: 'a@example.org', role: 'auditor' }, 'role'],
    ['an unknown field', { email: 'a@example.org', displayName: 'Ada' }, 'displayName'],
  ])('names the field in a 400 for a start with %s', async (_case, body, field) => {
    const response = await start(body);
    expect(response.status).toBe(400);
    expect(response.error?.fields?.map((problem) => problem.field)).toContain(field);
  });

  it('names registrationToken in a 400 when it is missing or malformed', async () => {
    for (const registrationToken of [undefined, 'short', 'a+b/'.repeat(11)]) {
      const response = await complete({ ...registration(), registrationToken } as RegisterRequest);
      expect(response.status).toBe(400);
      expect(response.error?.fields?.map((problem) => problem.field)).toEqual(['registrationToken']);
    }
  });
});

describe('registration mails: the answer never waits on SMTP, and a restart loses none', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ MAIL_RETRY_SECONDS: '1' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 202 while the SMTP server is down; the mail waits in the database and goes out from another API process once SMTP is back', async () => {
    const port = Number(new URL(api.smtp.smtpUrl).port);
    await api.smtp.stop();
    // A second API process takes the request, fails to send, and is stopped: only the database keeps the mail.
    const second = await startApiProcess(api, { MAIL_RETRY_SECONDS: '1' });
    const email = uniqueEmail('later');
    try {
      const started = await testClient(second.baseUrl).send(ROUTES.startRegistration, { body: { email } });
      expect(started.status).toBe(202);
      await eventually(async () => (await api.adminQuery('SELECT 1 FROM mail_outbox WHERE recipient = $1 AND last_error IS NOT NULL', [email])).length > 0);
    } finally {
      await second.stop();
    }
    const smtp = await startMailCatcher({ dir: api.smtp.dir, port });
    try {
      const mail = await api.mail.next(email);
      expect(registrationTokenIn(mail)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await eventually(async () => (await api.adminQuery('SELECT 1 FROM mail_outbox WHERE recipient = $1', [email])).length === 0);
    } finally {
      await smtp.stop();
    }
  }, 60_000);
});
