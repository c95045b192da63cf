import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { roundTripsOf, statementsOfRequest, transactionMessages } from './support/sql-statements.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * What a sign-in costs the database, counted through the real API (issue 14):
 * the time is compared in `npm run bench -- signin`, never asserted here; the
 * statement counts are, so that a change that adds round trips fails.
 */
const MAX_STATEMENTS_OF_A_SIGN_IN = 7;
const ROUND_TRIPS_OF_A_SIGN_IN = 4;
const MAX_STATEMENTS_OF_A_REFUSED_SIGN_IN = 14;
/**
 * A sign-in in a browser that still holds a session ends that session first (SessionService.endReplaced:
 * the token's owner, the RLS switch to it, the token row, the family's revocation, the switch back).
 */
const MAX_STATEMENTS_OF_A_REPLACING_SIGN_IN = MAX_STATEMENTS_OF_A_SIGN_IN + 5;

describe('sign-in: its statements', () => {
  let api: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    user = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  const login = (client = testClient(api.baseUrl), authKey = user.request.authKey, email = user.request.email) => client.send(ROUTES.login, { body: { email, authKey } });

  it(`signs in with at most ${MAX_STATEMENTS_OF_A_SIGN_IN} statements in one transaction, from a new browser and from a known device`, async () => {
    const browser = testClient(api.baseUrl);
    const first = await statementsOfRequest(api, () => login(browser));
    // Signed out, the browser still holds the device cookie of the first sign-in.
    expect((await browser.send(ROUTES.logout)).status).toBe(204);
    const again = await statementsOfRequest(api, () => login(browser));
    for (const statements of [first, again]) {
      expect(statements.length).toBeLessThanOrEqual(MAX_STATEMENTS_OF_A_SIGN_IN);
      expect(statements.filter((sql) => sql.startsWith('START TRANSACTION'))).toHaveLength(1);
      // The audit rows go in COMMIT's own message (Db.atCommit).
      expect(statements.at(-1)).toMatch(/^SELECT audit_append\(.*\); COMMIT$/);
      expect(statements.some((sql) => sql.startsWith('INSERT INTO refresh_tokens'))).toBe(true);
    }
    expect(again.map(withoutLiterals)).toEqual(first.map(withoutLiterals));
  });

  it(`signs in with at most ${MAX_STATEMENTS_OF_A_REPLACING_SIGN_IN} statements where the browser still holds a session, which ends`, async () => {
    const browser = testClient(api.baseUrl);
    expect((await login(browser)).status).toBe(200);
    const replacing = await statementsOfRequest(api, () => login(browser));
    expect(replacing.length).toBeLessThanOrEqual(MAX_STATEMENTS_OF_A_REPLACING_SIGN_IN);
    expect(replacing.filter((sql) => sql.startsWith('START TRANSACTION'))).toHaveLength(1);
    expect(replacing.filter((sql) => sql.startsWith('UPDATE "refresh_tokens"') || sql.startsWith('UPDATE refresh_tokens'))).toHaveLength(1);
  });

  it(`signs in with ${ROUND_TRIPS_OF_A_SIGN_IN} round trips: the lookup behind the start, the facts, then the session's three statements at once, then the audit row with the COMMIT`, async () => {
    // The rate limiter's sync runs on its own pool now and then, outside any transaction: not the sign-in's.
    const events = await transactionMessages(async () => expect((await login()).status).toBe(200));
    expect(events).not.toContain('error');
    expect(roundTripsOf(events)).toBe(ROUND_TRIPS_OF_A_SIGN_IN);
  });

  it(`refuses a wrong secret and an unknown email with at most ${MAX_STATEMENTS_OF_A_REFUSED_SIGN_IN} statements each, counting the failure and auditing it`, async () => {
    const wrong = await statementsOfRequest(api, () => login(undefined, 'A'.repeat(43)));
    const unknown = await statementsOfRequest(api, () => login(undefined, 'A'.repeat(43), 'nobody-here@example.org'));
    for (const statements of [wrong, unknown]) {
      expect(statements.length).toBeLessThanOrEqual(MAX_STATEMENTS_OF_A_REFUSED_SIGN_IN);
      expect(statements.some((sql) => sql.startsWith('INSERT INTO login_throttle'))).toBe(true);
      expect(statements.some((sql) => sql.startsWith('SELECT audit_append('))).toBe(true);
    }
  });
});

/** A statement with its quoted values masked: the audit rows' literals differ from one request to the next. */
function withoutLiterals(sql: string): string {
  return sql.replace(/ ?E?'(?:[^']|'')*'/g, '?');
}
