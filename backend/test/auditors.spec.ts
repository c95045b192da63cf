import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES, type RegisterInvitedRequest } from '@phr/shared-types';
import { registration, registerUser, type RegisteredUser } from './support/factories.js';
import { testClient } from './support/http.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

describe('auditor accounts: made by the operator’s create-auditor step, never by self-registration', () => {
  let api: TestApp;
  let patient: RegisteredUser;
  let recordId: string;

  beforeAll(async () => {
    api = await startTestApp();
    patient = await registerUser(api);
    recordId = (await uploadRecord(patient)).summary.id;
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Runs the command an operator runs, against this test's database, and returns the printed code. */
  async function createAuditor(email: string, name: string): Promise<string> {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'backend/src/cli/create-auditor.ts', '--email', email, '--name', name], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, DATABASE_MIGRATION_URL: api.database.ownerUrl },
    });
    const code = stdout.split('\n')[1]?.trim() ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return code;
  }

  function auditorRequest(email: string, invitation: string): RegisterInvitedRequest {
    const { registrationToken: _token, role: _role, displayName: _name, specialty: _specialty, ...keys } = registration({ email });
    return { ...keys, invitation };
  }

  it('creates an auditor who reads every trail and nothing else', async () => {
    const email = `auditor-${Date.now()}@hospital.example`;
    const code = await createAuditor(email, 'Security team');
    const client = testClient(api.baseUrl);
    const created = await client.send(ROUTES.registerInvited, { body: auditorRequest(email, code) });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ email, displayName: 'Security team', role: 'auditor' });
    const token = created.body.accessToken;

    const trail = await client.send(ROUTES.listAudit, { query: { subjectId: patient.userId }, token });
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((row) => row.action)).toContain('record.create');
    expect((await client.send(ROUTES.getRecord, { params: { id: recordId }, token })).status).toBe(403);
    expect((await client.send(ROUTES.listRecords, { token })).status).toBe(403);
    expect((await client.send(ROUTES.publicKey, { params: { id: patient.userId }, token })).status).toBe(403);
    expect(await api.adminQuery('SELECT used_at IS NOT NULL AS used FROM auditor_invitations WHERE email = $1', [email])).toEqual([{ used: true }]);
  });

  it('refuses an invitation used twice, for another email, or made up; and self-registration as auditor', async () => {
    const email = `auditor2-${Date.now()}@hospital.example`;
    const code = await createAuditor(email, 'Second auditor');
    const client = testClient(api.baseUrl);
    const wrongEmail = await client.send(ROUTES.registerInvited, { body: auditorRequest(`x-${email}`, code) });
    expect(wrongEmail.status).toBe(400);
    expect(wrongEmail.error?.fields?.[0].field).toBe('invitation');
    expect((await client.send(ROUTES.registerInvited, { body: auditorRequest(email, code) })).status).toBe(201);
    expect((await client.send(ROUTES.registerInvited, { body: auditorRequest(email, code) })).status).toBe(400);
    expect((await client.send(ROUTES.registerInvited, { body: auditorRequest(email, 'A'.repeat(43)) })).status).toBe(400);

    const selfMade = await client.unchecked().send(ROUTES.register, { body: { ...registration(), role: 'auditor' } });
    expect(selfMade.status).toBe(400);
    expect(selfMade.error?.fields?.map((problem) => problem.field)).toContain('role');
  });

  it('refuses an expired invitation, makes no account and leaves the invitation unused', async () => {
    const email = `auditor3-${Date.now()}@hospital.example`;
    const code = await createAuditor(email, 'Late auditor');
    const [lifetime] = await api.adminQuery(`SELECT expires_at BETWEEN now() + interval '71 hours' AND now() + interval '72 hours' AS "isAboutThreeDays" FROM auditor_invitations WHERE email = $1`, [email]);
    expect(lifetime).toEqual({ isAboutThreeDays: true });
    await api.adminQuery(`UPDATE auditor_invitations SET expires_at = now() - interval '1 second' WHERE email = $1`, [email]);
    const response = await testClient(api.baseUrl).send(ROUTES.registerInvited, { body: auditorRequest(email, code) });
    expect(response.status).toBe(400);
    expect(response.error?.fields).toEqual([{ field: 'invitation', message: 'This invitation is unknown, used, expired or for another email' }]);
    expect(await api.adminQuery('SELECT 1 FROM users WHERE email = $1', [email])).toEqual([]);
    expect(await api.adminQuery('SELECT used_at FROM auditor_invitations WHERE email = $1', [email])).toEqual([{ used_at: null }]);
  });

  it('keeps the invitation unused when the account cannot be made (email taken), with a 400 naming the invitation', async () => {
    const code = await createAuditor(patient.request.email, 'Taken');
    const response = await testClient(api.baseUrl).send(ROUTES.registerInvited, { body: auditorRequest(patient.request.email, code) });
    expect(response.status).toBe(400);
    expect(response.error?.fields).toEqual([{ field: 'invitation', message: expect.stringContaining('its email already has an account') }]);
    expect(await api.adminQuery('SELECT used_at FROM auditor_invitations WHERE email = $1', [patient.request.email])).toEqual([{ used_at: null }]);
  });

  it('fails the command without an owner URL or with a bad email, and stores nothing', async () => {
    const before = await api.adminQuery('SELECT count(*)::int AS n FROM auditor_invitations');
    await expect(
      run(process.execPath, ['--import', 'tsx', 'backend/src/cli/create-auditor.ts', '--email', 'not-an-email', '--name', 'X'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, DATABASE_MIGRATION_URL: api.database.ownerUrl },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('--email must be an email address') });
    await expect(run(process.execPath, ['--import', 'tsx', 'backend/src/cli/create-auditor.ts'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH } })).rejects.toMatchObject({
      stderr: expect.stringContaining('Usage'),
    });
    expect(await api.adminQuery('SELECT count(*)::int AS n FROM auditor_invitations')).toEqual(before);
  });
});
