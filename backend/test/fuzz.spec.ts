/**
 * Fuzzing every route of the contract (issue 6): random and malformed bodies,
 * query strings, path ids and content types, sent by a caller the route
 * admits and by nobody. The answer is never a 5xx, never shows internals,
 * and no request plants anything on Object.prototype of the API process.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> (and
 * FUZZ_RUNS=<n> for more runs per route).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import fc from 'fast-check';
import { API_PREFIX, DOCTOR_WRAP_BYTES, KDF_ALGORITHM, KDF_MIN_ITERATIONS, ROUTES, type Role, type RouteName } from '@phr/shared-types';
import { buildOpenApiDocument } from '../src/common/swagger.js';
import { insertAuditor, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { planFor, planProblems, POLLUTION_MARKER, requestFor, type FuzzRequest, type RoutePlan } from './support/fuzz.js';
import { uploadRecord } from './support/records.js';
import { ROUTE_ACCESS } from './support/route-access.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, sessionTokenFor } from './support/tokens.js';

const SEED = Number(process.env.FUZZ_SEED ?? 6_2024);
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 50);
const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/**
 * Rate limits and sign-in proofs of work are tested on their own (auth, login-throttle
 * and rate-limit suites); here they would answer most fuzzed requests with 429
 * before any handler ran, and the fuzzer would prove nothing.
 */
const LIMITS_OUT_OF_THE_WAY = {
  RATE_LIMIT_REQUESTS: '10000000',
  RATE_LIMIT_REGISTRATIONS: '10000000',
  RATE_LIMIT_DOCTOR_SEARCHES: '10000000',
  LOGIN_FREE_FAILURES: '1000',
};
/** Above this share of 429 answers on a route, its fuzzing is not reaching the code. */
const MAX_THROTTLED_SHARE = 0.1;

/** fast-check prints whole counterexamples (some hold 80 000 characters); say how to replay and what went wrong instead. */
function shortReport<Ts>(details: fc.RunDetails<Ts>): void {
  if (!details.failed) return;
  const replay = `replay with FUZZ_SEED=${SEED} FUZZ_PATH="${details.counterexamplePath}" and -t for this route (its seed: ${details.seed})`;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`Fuzzing failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s); ${replay}\n${cause}`);
}

/** A role the route admits, the same role for an account that no longer exists (an erased account's live token), or nobody. */
type Caller = { role: Role; isGhost: boolean } | 'nobody';

function describeCaller(caller: Caller): string {
  if (caller === 'nobody') return 'nobody';
  return caller.isGhost ? `a ${caller.role} whose account is gone` : `a ${caller.role}`;
}

/** What an answer must never contain: the error filter's promise (HOUSE: no stack traces leave the server). */
function internalsIn(text: string, columnNames: ReadonlySet<string>): string[] {
  const checks: Array<[string, RegExp]> = [
    ['a stack frame', /\n\s+at \S|\bat [\w$.<>]+ \([^)]*:\d+:\d+\)/],
    ['a JavaScript error name', /\b[A-Z]\w*Error: /],
    ['TypeORM', /typeorm|QueryFailedError|EntityNotFound|EntityMetadata/i],
    ['SQL text', /\b(?:SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*\b(?:FROM|INTO|SET|WHERE)\b|syntax error at or near|relation "|column "|violates \w+ constraint|invalid input syntax|invalid byte sequence/],
    ['a file path', /\/work\/|node_modules|\/home\/|\/usr\/(?:lib|src)|\.(?:ts|js|mjs|cjs):\d+/],
  ];
  const found = checks.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
  if ((text.match(/\w+/g) ?? []).some((word) => columnNames.has(word))) found.push('a database column name');
  return found;
}

describe('fuzzing every route: never a 5xx, never internals (issue 6)', () => {
  let api: TestApp;
  let document: OpenAPIObject;
  /** snake_case column names of the schema (created_at, owner_id, …): the API speaks camelCase. */
  let columnNames: ReadonlySet<string>;
  const serverErrors: string[] = [];
  const tokens = {} as Record<Role, string>;
  const knownIds: string[] = [];

  /** Collects the API's error log lines, to say which exception a 5xx came from. */
  const logger: LoggerService = {
    log: () => undefined,
    warn: () => undefined,
    error: (message: unknown) => void serverErrors.push(String(message)),
  };

  beforeAll(async () => {
    api = await startTestApp(LIMITS_OUT_OF_THE_WAY, logger);
    document = buildOpenApiDocument(api.app);
    const patient = await registerUser(api, 'patient');
    const stranger = await registerUser(api, 'patient');
    const doctor = await registerUser(api, 'doctor');
    const auditorId = await insertAuditor(api.adminQuery);
    tokens.patient = patient.token;
    tokens.doctor = doctor.token;
    tokens.auditor = await sessionTokenFor(api, auditorId, 'auditor');
    knownIds.push(patient.userId, stranger.userId, doctor.userId, auditorId);
    // Real rows, so that fuzzed ids sometimes name something: a caller's own and a stranger's.
    for (const owner of [patient, stranger]) knownIds.push(...(await someRowsOf(owner, doctor)));
    const columns = await api.adminQuery<{ column_name: string }>(
      `SELECT DISTINCT column_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name LIKE '%\\_%'`,
    );
    columnNames = new Set(columns.map((row) => row.column_name));
  }, 90_000);
  afterAll(async () => {
    await api?.close();
  });

  async function someRowsOf(owner: RegisteredUser, doctor: RegisteredUser): Promise<string[]> {
    const folder = await owner.client.send(ROUTES.createFolder, { token: owner.token, body: { name: sealedBlob(20) } });
    const { summary } = await uploadRecord(owner, 100, folder.body.id);
    const wraps = [{ recordId: summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    const consent = await owner.client.send(ROUTES.createConsent, {
      token: owner.token,
      body: { doctorId: doctor.userId, scope: 'record', recordId: summary.id, wraps },
    });
    if (consent.status !== 201) throw new Error(`consent failed: ${consent.status} ${consent.text}`);
    return [folder.body.id, summary.id, consent.body.id];
  }

  /** A caller the route admits (a patient on public routes), sometimes with a token of an account that is gone. */
  function callersOf(name: RouteName): fc.Arbitrary<Caller> {
    const access = ROUTE_ACCESS[name];
    const roles: readonly Role[] = access === 'public' ? ['patient'] : access;
    return fc.record({ role: fc.constantFrom(...roles), isGhost: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) });
  }

  function tokenOf(caller: Caller): string | undefined {
    if (caller === 'nobody') return undefined;
    return caller.isGhost ? forgeToken(TEST_JWT_SECRET, { userId: randomUUID(), role: caller.role }) : tokens[caller.role];
  }

  async function send(plan: RoutePlan, request: FuzzRequest, caller: Caller): Promise<{ status: number; text: string; contentType: string }> {
    const headers: Record<string, string> = {};
    const token = tokenOf(caller);
    if (token) headers.authorization = `Bearer ${token}`;
    if (request.body.contentType) headers['content-type'] = request.body.contentType;
    const url = `${api.baseUrl}${API_PREFIX}${request.path}${request.query ? `?${request.query}` : ''}`;
    const response = await fetch(url, { method: plan.method, headers, body: request.body.payload, signal: AbortSignal.timeout(20_000) });
    return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') ?? '' };
  }

  function checkAnswer(plan: RoutePlan, request: FuzzRequest, caller: Caller, answer: { status: number; text: string; contentType: string }): void {
    const problems: string[] = [];
    if (answer.status >= 500) problems.push(`status ${answer.status}`);
    const leaks = internalsIn(answer.text, columnNames);
    if (leaks.length) problems.push(`the answer shows ${leaks.join(', ')}`);
    // 431 comes from the HTTP parser (headers and URL over 16 KiB), before any route or filter runs.
    if (answer.status >= 400 && answer.status !== 431 && answer.contentType.includes('application/json')) {
      const body = JSON.parse(answer.text) as { statusCode?: unknown; code?: unknown; requestId?: unknown };
      if (body.statusCode !== answer.status || typeof body.code !== 'string' || typeof body.requestId !== 'string') {
        problems.push('the error is not an ErrorResponse');
      }
    }
    if (Object.prototype.hasOwnProperty.call(Object.prototype, POLLUTION_MARKER)) problems.push('Object.prototype was polluted');
    if (problems.length === 0) return;
    const sent = typeof request.body.payload === 'string' ? request.body.payload.slice(0, 300) : request.body.payload;
    throw new Error(
      [
        `${plan.name} as ${describeCaller(caller)}: ${problems.join('; ')}`,
        `request: ${plan.method} ${request.path.slice(0, 200)} ?${request.query.slice(0, 300)}`,
        `body (${request.body.kind}, ${request.body.contentType ?? 'no content type'}): ${JSON.stringify(sent)}`,
        `answer: ${answer.text.slice(0, 500)}`,
        `server errors: ${serverErrors.splice(0).join(' | ') || 'none'}`,
      ].join('\n'),
    );
  }

  it('has a fuzz plan for every route of the contract (a new route needs its body documented)', () => {
    expect(ROUTE_NAMES.flatMap((name) => planProblems(document, name))).toEqual([]);
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual([...ROUTE_NAMES].sort());
  });

  it.each(ROUTE_NAMES.map((name, index) => [name, index] as const))('%s answers fuzzed requests without a 5xx or internals', async (name, index) => {
    const plan = planFor(document, name);
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(requestFor(document, plan, knownIds), callersOf(name), async (request, caller) => {
        for (const who of [caller, 'nobody'] as const) {
          const answer = await send(plan, request, who);
          statuses.push(answer.status);
          checkAnswer(plan, request, who, answer);
        }
      }),
      { seed: SEED + index, path: process.env.FUZZ_PATH, numRuns: RUNS_PER_ROUTE, reporter: shortReport },
    );
    expect(statuses.filter((status) => status === 429).length / statuses.length).toBeLessThan(MAX_THROTTLED_SHARE);
  }, 120_000);
});

/** What fuzzing found, kept as plain cases so that they stay fixed whatever the seed. */
describe('fuzzing counterexamples, fixed (issue 6)', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let auditorToken: string;

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api, 'patient');
    auditorToken = await sessionTokenFor(api, await insertAuditor(api.adminQuery), 'auditor');
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  const cursor = (...members: unknown[]) => Buffer.from(JSON.stringify(members)).toString('base64url');

  it('refuses a body nested thousands of levels deep with 400 naming the body (was a stack overflow)', async () => {
    const nested = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    for (const name of ['login', 'commitRecord', 'recoveryReset'] as const) {
      const response = await patient.client.unchecked().send(ROUTES[name], { token: patient.token, rawBody: nested });
      expect({ name, status: response.status, fields: response.error?.fields }).toEqual({ name, status: 400, fields: [{ field: 'body', message: expect.stringContaining('nest') }] });
    }
  });

  it('answers 401, not 500, to a valid token whose account is gone when a password must be proven', async () => {
    const ghost = forgeToken(TEST_JWT_SECRET, { userId: randomUUID(), role: 'patient' });
    const body = {
      currentAuthKey: 'A'.repeat(43),
      newAuthKey: 'Q'.repeat(43),
      newKdf: { algorithm: KDF_ALGORITHM, iterations: KDF_MIN_ITERATIONS, salt: 'w'.repeat(22) },
      newWrappedAccountKey: sealedBlob(),
    };
    const response = await patient.client.send(ROUTES.changePassword, { token: ghost, body });
    expect(response.status).toBe(401);
    expect(response.error?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['bad percent-encoding', '/records/%zz'],
    ['an over-long path segment', `/records/${'a'.repeat(101)}`],
  ])('answers a path with %s as every other error: 400, ErrorResponse, security headers', async (_, path) => {
    // Paths no route of the table can produce, on purpose.
    const response = await patient.client.unchecked().request('GET', path, { token: patient.token });
    expect(response.status).toBe(400);
    expect(response.error).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', fields: [{ field: 'path' }], requestId: expect.any(String) });
    expect(response.headers.get('x-request-id')).toBe(response.error?.requestId);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.text).not.toContain(path.slice(1));
  });

  it.each([
    ['a time JavaScript parses but PostgreSQL does not', cursor('1', randomUUID())],
    ['a time past what PostgreSQL holds', cursor('+275760-09-13T00:00:00.000Z', randomUUID())],
  ])('refuses a record-list cursor with %s with 400 naming the cursor', async (_, value) => {
    const response = await patient.client.send(ROUTES.listRecords, { query: { cursor: value }, token: patient.token });
    expect(response.status).toBe(400);
    expect(response.error?.fields).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });

  it.each([
    ['a time JavaScript parses but PostgreSQL does not', cursor('Jan 1', randomUUID(), 1)],
    ['a subject of 36 dashes', cursor('2020-01-01T00:00:00.000Z', '-'.repeat(36), 1)],
    ['a sequence number past bigint', cursor('2020-01-01T00:00:00.000Z', randomUUID(), 1e20)],
  ])('refuses an audit cursor with %s with 400 naming the cursor', async (_, value) => {
    for (const token of [patient.token, auditorToken]) {
      const response = await patient.client.send(ROUTES.listAudit, { query: { cursor: value }, token });
      expect(response.status).toBe(400);
      expect(response.error?.fields).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    }
  });
});
