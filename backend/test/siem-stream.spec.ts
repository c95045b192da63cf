/**
 * Streaming the audit trail to a SIEM (docs/running.md "Streaming audit events to a SIEM"):
 * syslog over TLS (RFC 5424 messages, RFC 5425 transport, octet counting) to a real rsyslogd
 * started by the test (support/syslog-receiver.ts), or an append-only NDJSON file; at least once,
 * in chain order, through receiver outages, API restarts and several instances; the operators'
 * status route.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auditHashInput, ROUTES, type AuditEvent, type SiemStatus } from '@phr/shared-types';
import { createApp } from '../src/app.factory.js';
import { auditRowToEvent, type AuditDbRow } from '../src/audit/audit-row.js';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import { validConfigEnv } from './support/config-env.js';
import { escapeParamValue } from '../src/siem/siem-messages.js';
import { operatorOf, registerStaff, registerUser, type RegisteredUser } from './support/factories.js';
import { startSyslogReceiver, type SyslogReceiver } from './support/syslog-receiver.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { badTokens, sessionIdOf } from './support/tokens.js';
import { waitUntil } from './support/wait-until.js';

/** Fast turns for the tests: look every 20 ms, retry at most every 200 ms. */
const QUICK = { SIEM_INTERVAL_MS: '20', SIEM_MAX_BACKOFF_MS: '200' };

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function allRows(api: TestApp): Promise<AuditEvent[]> {
  return (await api.adminQuery<AuditDbRow & Record<string, unknown>>('SELECT * FROM audit_events ORDER BY subject_id, seq')).map(auditRowToEvent);
}

const keyOf = (row: { subjectId: string; seq: number }) => `${row.subjectId}/${row.seq}`;

/** Every expected row once, each subject's rows in seq order: what an in-order, exactly-once stream holds. */
function expectEachRowOnceInChainOrder(received: Array<{ subjectId: string; seq: number }>, expected: AuditEvent[]): void {
  expect(received.map(keyOf).sort()).toEqual(expected.map(keyOf).sort());
  const seqsBySubject = (rows: Array<{ subjectId: string; seq: number }>) => {
    const bySubject = new Map<string, number[]>();
    for (const row of rows) bySubject.set(row.subjectId, [...(bySubject.get(row.subjectId) ?? []), row.seq]);
    return bySubject;
  };
  const sortedExpected = [...expected].sort((a, b) => a.seq - b.seq);
  expect(seqsBySubject(received)).toEqual(seqsBySubject(sortedExpected));
}

/** The SD-PARAMs of `[audit@32473 name="value" …]`, unescaped (RFC 5424 6.3.3). */
function sdParams(structuredData: string): Map<string, string> {
  const match = /^\[audit@32473((?: [A-Za-z]+="(?:[^"\\\]]|\\["\\\]])*")*)\]$/.exec(structuredData);
  if (!match) throw new Error(`not one audit@32473 element: ${structuredData}`);
  const params = new Map<string, string>();
  for (const [, name, value] of match[1].matchAll(/ ([A-Za-z]+)="((?:[^"\\\]]|\\["\\\]])*)"/g)) params.set(name, value.replace(/\\(["\\\]])/g, '$1'));
  return params;
}

/** The audit row an SD element describes (absent params are nulls). */
function rowOfParams(params: Map<string, string>): AuditEvent {
  const value = (name: string) => params.get(name) ?? null;
  return {
    subjectId: params.get('subject') ?? '',
    seq: Number(params.get('seq')),
    occurredAt: params.get('occurredAt') ?? '',
    actorId: value('actor'),
    actorRole: value('role') as AuditEvent['actorRole'],
    action: params.get('action') as AuditEvent['action'],
    outcome: params.get('outcome') as AuditEvent['outcome'],
    reason: value('reason'),
    recordId: value('record'),
    consentId: value('consent'),
    ip: value('ip'),
    userAgent: value('userAgent'),
    requestId: value('requestId'),
    prevHash: params.get('prevHash') ?? '',
    hash: params.get('hash') ?? '',
  };
}

const ALLOWED_PARAMS = ['subject', 'seq', 'occurredAt', 'actor', 'role', 'action', 'outcome', 'reason', 'record', 'consent', 'ip', 'userAgent', 'requestId', 'prevHash', 'hash'];

/** A refused read of a record that does not exist, with a user agent that needs escaping: one deny row in the patient's trail. */
async function refusedReadWithAgent(api: TestApp, user: RegisteredUser, userAgent: string): Promise<void> {
  const response = await fetch(`${api.baseUrl}/api${ROUTES.getRecord.path.replace(':id', randomUUID())}`, { headers: { authorization: `Bearer ${user.token}`, 'user-agent': userAgent } });
  expect(response.status).toBe(404);
}

async function statusOf(api: TestApp, token: string): Promise<SiemStatus> {
  const response = await fetch(`${api.baseUrl}/api${ROUTES.siemStatus.path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as SiemStatus;
}

describe('the SIEM stream over syslog TLS to rsyslogd', () => {
  let receiver: SyslogReceiver;
  let api: TestApp;
  let operator: RegisteredUser;
  const received = async () => (await receiver.parsed()).filter((message) => message.hostname === 'phr-siem-test');

  beforeAll(async () => {
    receiver = await startSyslogReceiver();
    api = await startTestApp({
      SIEM_MODE: 'syslog-tls',
      SIEM_SYSLOG_HOST: '127.0.0.1',
      SIEM_SYSLOG_PORT: String(receiver.port),
      SIEM_SYSLOG_CA_FILE: receiver.pki.caFile,
      SIEM_SYSLOG_APP_NAME: 'phr-api',
      SIEM_SYSLOG_HOSTNAME: 'phr-siem-test',
      ...QUICK,
    });
    operator = await operatorOf(api);
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });

  it('delivers every row as an octet-counted RFC 5424 message whose structured data holds the row, hash-checkable on its own', async () => {
    const patient = await registerUser(api);
    await refusedReadWithAgent(api, patient, 'probe "quoted" \\ back] slash');
    const rows = await allRows(api);
    await waitUntil('every row at the receiver', async () => (await received()).length >= rows.length);
    const messages = await received();
    expect(messages).toHaveLength(rows.length);

    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    for (const message of messages) {
      const params = sdParams(message.structuredData);
      expect([...params.keys()].every((name) => ALLOWED_PARAMS.includes(name))).toBe(true);
      const sent = rowOfParams(params);
      const row = byKey.get(keyOf(sent));
      // The receiver's copy is the row itself: the same fields, and its hash follows from them.
      expect(sent).toEqual(row);
      expect(sha256Hex(auditHashInput(sent.prevHash, sent))).toBe(sent.hash);
      expect(message).toMatchObject({
        pri: 13 * 8 + (sent.outcome === 'deny' ? 4 : 6),
        timestamp: sent.occurredAt,
        appName: 'phr-api',
        procId: String(process.pid),
        msgId: sent.action,
      });
    }
    expectEachRowOnceInChainOrder(messages.map((message) => rowOfParams(sdParams(message.structuredData))), rows);

    // The user agent's '"', '\' and ']' went out escaped, and came back whole.
    const raw = (await receiver.raw()).find((line) => line.includes('probe'));
    expect(raw).toContain(`userAgent="${escapeParamValue('probe "quoted" \\ back] slash')}"`);
    expect(raw).toContain('userAgent="probe \\"quoted\\" \\\\ back\\] slash"');
    expect(raw?.startsWith('<108>1 ')).toBe(true);

    const status = await statusOf(api, operator.token);
    expect(status).toMatchObject({ mode: 'syslog-tls', destination: `127.0.0.1:${receiver.port}` });
    expect(status.shippedRows).toBeGreaterThanOrEqual(rows.length);
  });

  it('keeps rows while the receiver is down, says so in the status, and sends them all in order once it is back', async () => {
    const before = await allRows(api);
    await waitUntil('the earlier rows at the receiver', async () => (await received()).length >= before.length);
    await receiver.stop();

    const patient = await registerUser(api);
    await refusedReadWithAgent(api, patient, 'during the outage');
    await waitUntil('the status to show the outage', async () => {
      const status = await statusOf(api, operator.token);
      return status.lastError !== null && status.pendingRows > 0 && (status.lastShipped === null || status.lastError.at > status.lastShipped.at);
    });
    const down = await statusOf(api, operator.token);
    expect(down.lastError?.message).toContain(`127.0.0.1:${receiver.port}`);
    expect(down.lastError?.message).toMatch(/ECONNREFUSED|ECONNRESET|EPIPE/);
    expect(down.oldestPendingAt).not.toBeNull();

    await receiver.start();
    const rows = await allRows(api);
    await waitUntil('every row at the receiver after its restart', async () => (await received()).length >= rows.length);
    const messages = await received();
    expectEachRowOnceInChainOrder(messages.map((message) => rowOfParams(sdParams(message.structuredData))), rows);
    await waitUntil('no row pending', async () => (await statusOf(api, operator.token)).pendingRows === 0);
  });

  it('sends nothing to a receiver whose certificate the configured CA did not sign, and the status says why', async () => {
    const wrongCa = await startTestApp({
      SIEM_MODE: 'syslog-tls',
      SIEM_SYSLOG_HOST: '127.0.0.1',
      SIEM_SYSLOG_PORT: String(receiver.port),
      SIEM_SYSLOG_CA_FILE: receiver.pki.otherCaFile,
      SIEM_SYSLOG_HOSTNAME: 'phr-siem-wrong-ca',
      ...QUICK,
    });
    try {
      const wrongCaOperator = await operatorOf(wrongCa);
      await waitUntil('the certificate error in the status', async () => (await statusOf(wrongCa, wrongCaOperator.token)).lastError !== null);
      const status = await statusOf(wrongCa, wrongCaOperator.token);
      expect(status.lastError?.message).toMatch(/certificate|self[- ]signed|issuer/i);
      expect(status.lastShipped).toBeNull();
      expect(status.pendingRows).toBe((await allRows(wrongCa)).length);
      expect((await receiver.parsed()).filter((message) => message.hostname === 'phr-siem-wrong-ca')).toEqual([]);
    } finally {
      await wrongCa.close();
    }
  });

  it('shows the status to operators only', async () => {
    const patient = await registerUser(api);
    const doctor = await registerUser(api, 'doctor');
    const auditor = await registerStaff(api, 'auditor');
    const url = `${api.baseUrl}/api${ROUTES.siemStatus.path}`;
    for (const user of [patient, doctor, auditor]) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${user.token}` } });
      expect(response.status).toBe(403);
    }
    expect((await fetch(url)).status).toBe(401);
    for (const [what, token] of Object.entries(badTokens(TEST_JWT_SECRET, operator.userId, sessionIdOf(operator.token)))) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect([what, response.status]).toEqual([what, 401]);
    }
  });
});

describe('the SIEM stream to an NDJSON file', () => {
  let api: TestApp;
  let dir: string;
  const instances: NestFastifyApplication[] = [];

  /** Another API instance on the same database, streaming to `file` (no HTTP listener: it only ships). */
  async function instance(file: string): Promise<NestFastifyApplication> {
    const config: AppConfig = { ...api.config, siem: { mode: 'ndjson', file, intervalMs: 10, batchSize: 7, maxBackoffMs: 100 } };
    const app = await createApp(config, { logger: false });
    instances.push(app);
    return app;
  }

  async function stopInstance(app: NestFastifyApplication): Promise<void> {
    instances.splice(instances.indexOf(app), 1);
    await app.close();
  }

  async function linesOf(file: string): Promise<AuditEvent[]> {
    const text = await readFile(file, 'utf8').catch(() => '');
    expect(text === '' || text.endsWith('\n')).toBe(true);
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditEvent);
  }

  beforeAll(async () => {
    // The instance the tests speak HTTP to does not stream; the instances made by `instance` do.
    api = await startTestApp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'phr-siem-'));
  });
  afterAll(async () => {
    for (const app of instances) await app.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every row once, in chain order, as the trail holds it, and carries on where it stopped after a restart', async () => {
    const file = path.join(dir, 'restart.ndjson');
    await registerUser(api);
    const first = await instance(file);
    const rowsBefore = await allRows(api);
    await waitUntil('the first rows in the file', async () => (await linesOf(file)).length >= rowsBefore.length);
    await stopInstance(first);

    await registerUser(api);
    await registerUser(api, 'doctor');
    const rows = await allRows(api);
    expect((await linesOf(file)).length).toBeLessThan(rows.length);
    await instance(file);
    await waitUntil('every row in the file after the restart', async () => (await linesOf(file)).length >= rows.length);
    const lines = await linesOf(file);
    expectEachRowOnceInChainOrder(lines, rows);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    for (const line of lines) expect(line).toEqual(byKey.get(keyOf(line)));
  });

  it('ships each row once while two instances run: one ships at a time', async () => {
    for (const app of [...instances]) await stopInstance(app);
    const file = path.join(dir, 'two-instances.ndjson');
    const shipped = new Set((await allRows(api)).map(keyOf));
    // Rows made before the instances start and while they run, shipped in batches of 7.
    await registerUser(api);
    await Promise.all([instance(file), instance(file)]);
    await Promise.all([registerUser(api), registerUser(api), registerUser(api, 'doctor')]);
    const rows = (await allRows(api)).filter((row) => !shipped.has(keyOf(row)));
    await waitUntil('every new row in the file', async () => (await linesOf(file)).length >= rows.length);
    expectEachRowOnceInChainOrder(await linesOf(file), rows);
  });
});

describe('SIEM configuration', () => {
  const BASE = validConfigEnv();
  const load = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });

  it('is off by default', () => {
    expect(load({}).siem).toEqual({ mode: 'off' });
  });

  it.each([
    [{ SIEM_MODE: 'kafka' }, 'SIEM_MODE must be one of off, syslog-tls, ndjson'],
    [{ SIEM_NDJSON_FILE: '/tmp/x.ndjson' }, 'SIEM_NDJSON_FILE is set but SIEM_MODE is off'],
    [{ SIEM_MODE: 'syslog-tls' }, 'SIEM_SYSLOG_HOST is required'],
    [{ SIEM_MODE: 'syslog-tls', SIEM_SYSLOG_HOST: 'siem.example.org' }, 'SIEM_SYSLOG_CA_FILE is required'],
    [{ SIEM_MODE: 'syslog-tls', SIEM_SYSLOG_HOST: 'siem.example.org', SIEM_SYSLOG_CA_FILE: '/nonexistent/ca.pem' }, 'SIEM_SYSLOG_CA_FILE /nonexistent/ca.pem cannot be read (ENOENT)'],
    [{ SIEM_MODE: 'syslog-tls', SIEM_SYSLOG_HOST: 'siem.example.org', SIEM_SYSLOG_PORT: '70000' }, 'SIEM_SYSLOG_PORT must be between 1 and 65535'],
    [{ SIEM_MODE: 'syslog-tls', SIEM_SYSLOG_HOST: 'siem.example.org', SIEM_SYSLOG_CERT_FILE: '/tmp/c.pem' }, 'SIEM_SYSLOG_KEY_FILE must be set together with SIEM_SYSLOG_CERT_FILE'],
    [{ SIEM_MODE: 'syslog-tls', SIEM_SYSLOG_HOST: 'siem.example.org', SIEM_SYSLOG_APP_NAME: 'phr api' }, 'SIEM_SYSLOG_APP_NAME must be 1-48 printable ASCII characters'],
    [{ SIEM_MODE: 'ndjson' }, 'SIEM_NDJSON_FILE is required'],
    [{ SIEM_MODE: 'ndjson', SIEM_NDJSON_FILE: 'audit.ndjson' }, 'SIEM_NDJSON_FILE must be an absolute path'],
    [{ SIEM_MODE: 'ndjson', SIEM_NDJSON_FILE: '/nonexistent/audit.ndjson' }, 'SIEM_NDJSON_FILE cannot be created'],
    [{ SIEM_MODE: 'ndjson', SIEM_NDJSON_FILE: '/tmp/audit.ndjson', SIEM_SYSLOG_HOST: 'siem.example.org' }, 'SIEM_SYSLOG_HOST is set but SIEM_MODE is ndjson'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it('escapes ", \\ and ] in SD-PARAM values and nothing else (RFC 5424 6.3.3)', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
  });
});
