import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DOCTOR_WRAP_BYTES, ROUTES } from '@phr/shared-types';
import { fingerprintOf, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { presign, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Tables that hold one user's data, with the column naming that user. */
const PER_USER_TABLES = {
  users: 'id',
  credentials: 'user_id',
  refresh_tokens: 'user_id',
  audit_events: 'subject_id',
  folders: 'owner_id',
  uploads: 'owner_id',
  records: 'owner_id',
  record_wraps: 'owner_id',
  consents: 'patient_id',
  trusted_contacts: 'patient_id',
  contact_wraps: 'patient_id',
} as const;

describe('row-level security: the application role sees only the caller’s rows (DESIGN 6)', () => {
  let api: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let doctor: RegisteredUser;
  let otherDoctor: RegisteredUser;
  let appRole: pg.Client;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerUser(api);
    bob = await registerUser(api);
    doctor = await registerUser(api, 'doctor');
    otherDoctor = await registerUser(api, 'doctor');
    // A third patient both name as trusted contact (a party to each row, so neither Alice nor Bob is).
    const carol = await registerUser(api);
    for (const user of [alice, bob]) {
      const folder = await user.client.send(ROUTES.createFolder, { token: user.token, body: { name: sealedBlob(20) } });
      const { summary } = await uploadRecord(user, 10, folder.body.id);
      await presign(user, 10);
      const wraps = [{ recordId: summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
      await user.client.send(ROUTES.createConsent, { token: user.token, body: { doctorId: doctor.userId, scope: 'all', wraps } });
      const named = await user.client.send(ROUTES.nameTrustedContact, { token: user.token, body: { contactId: carol.userId, email: carol.request.email, scope: 'all', waitDays: 1, fingerprint: fingerprintOf(carol), wraps } });
      if (named.status !== 201) throw new Error(`naming a trusted contact failed: ${named.status} ${named.text}`);
    }
    appRole = new pg.Client({ connectionString: api.database.appUrl });
    await appRole.connect();
  });
  afterAll(async () => {
    await appRole?.end();
    await api?.close();
  });

  /** Runs a query as the application role inside a transaction under the given context. */
  async function asContext<T extends pg.QueryResultRow>(userId: string | null, role: string | null, sql: string, params: unknown[] = []): Promise<T[]> {
    await appRole.query('BEGIN');
    try {
      await appRole.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true)`, [userId ?? '', role ?? '']);
      return (await appRole.query<T>(sql, params)).rows;
    } finally {
      await appRole.query('ROLLBACK');
    }
  }

  it.each(Object.entries(PER_USER_TABLES))("returns none of Alice's rows in %s to a query under Bob's context", async (table, column) => {
    const asAlice = await asContext(alice.userId, 'patient', `SELECT * FROM ${table} WHERE ${column} = $1`, [alice.userId]);
    expect(asAlice.length).toBeGreaterThan(0);
    const asBob = await asContext(bob.userId, 'patient', `SELECT * FROM ${table} WHERE ${column} = $1`, [alice.userId]);
    expect(asBob).toHaveLength(0);
    const everythingBobSees = await asContext<Record<string, string>>(bob.userId, 'doctor', `SELECT ${column} AS owner FROM ${table}`);
    expect(everythingBobSees.every((row) => row.owner === bob.userId)).toBe(true);
  });

  it.each(Object.keys(PER_USER_TABLES))('returns no rows of %s without a context', async (table) => {
    expect(await asContext(null, null, `SELECT * FROM ${table}`)).toHaveLength(0);
  });

  it('shows a doctor the records and wraps of consents they hold, and another doctor none', async () => {
    const consented = await asContext<{ owner_id: string }>(doctor.userId, 'doctor', 'SELECT owner_id FROM records');
    expect(consented.map((row) => row.owner_id).sort()).toEqual([alice.userId, bob.userId].sort());
    expect(await asContext(doctor.userId, 'doctor', 'SELECT * FROM record_wraps WHERE recipient_id = $1', [doctor.userId])).toHaveLength(2);
    expect(await asContext(doctor.userId, 'doctor', 'SELECT * FROM folders')).toHaveLength(0);
    for (const table of ['records', 'record_wraps', 'consents', 'folders', 'uploads']) {
      expect(await asContext(otherDoctor.userId, 'doctor', `SELECT * FROM ${table}`)).toHaveLength(0);
    }
    // The same id with a patient's role is not a doctor: no consent admits it.
    expect(await asContext(doctor.userId, 'patient', 'SELECT * FROM records')).toHaveLength(0);
  });

  it('tells whom a patient trusts to that patient only, not to another patient or a doctor who broke no glass on them', async () => {
    const sql = 'SELECT contact_id FROM patient_trusted_contact_ids($1)';
    expect(await asContext(alice.userId, 'patient', sql, [alice.userId])).toHaveLength(1);
    expect(await asContext(bob.userId, 'patient', sql, [alice.userId])).toHaveLength(0);
    expect(await asContext(doctor.userId, 'doctor', sql, [alice.userId])).toHaveLength(0);
    expect(await asContext(null, null, sql, [alice.userId])).toHaveLength(0);
  });

  it("cannot change another user's rows or create rows in their name", async () => {
    await appRole.query('BEGIN');
    try {
      await appRole.query(`SELECT set_config('app.user_id', $1, true)`, [bob.userId]);
      const updated = await appRole.query(`UPDATE credentials SET kdf_salt = 'x' WHERE user_id = $1`, [alice.userId]);
      expect(updated.rowCount).toBe(0);
      const revoked = await appRole.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1`, [alice.userId]);
      expect(revoked.rowCount).toBe(0);
      await expect(
        appRole.query(`INSERT INTO users (id, email, display_name, role) VALUES ($1, 'x@example.org', 'x', 'patient')`, [alice.userId]),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await appRole.query('ROLLBACK');
    }
  });

  it('connects as a role that is no superuser, cannot bypass RLS and owns nothing', async () => {
    const [role] = await api.adminQuery<{ rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'phr_app'`,
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await api.adminQuery(
      `SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE r.rolname = 'phr_app' AND n.nspname = 'public'`,
    );
    expect(owned).toHaveLength(0);
    const [{ current_user: user }] = (await appRole.query<{ current_user: string }>('SELECT current_user')).rows;
    expect(user).toBe('phr_app');
  });

  it('has RLS enabled on every table that holds per-user data', async () => {
    const rows = await api.adminQuery<{ relname: string; relrowsecurity: boolean }>(
      `SELECT relname, relrowsecurity FROM pg_class WHERE relname = ANY($1)`,
      [[...Object.keys(PER_USER_TABLES), 'public_keys']],
    );
    expect(rows.every((row) => row.relrowsecurity)).toBe(true);
    expect(rows).toHaveLength(Object.keys(PER_USER_TABLES).length + 1);
  });
});
