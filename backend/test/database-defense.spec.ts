/**
 * Database defense (DESIGN 6, issue 6): "a bug that skips a guard still reads
 * zero rows". No guard and no controller runs here: the test takes the
 * application's own Db service and TypeORM repositories out of the running
 * app and reads and writes a patient's rows under someone else's context
 * (a stranger patient, a doctor without consent, an auditor, nobody), exactly
 * as a service would if its guard were missing.
 *
 * row-level-security.spec.ts proves the policies with raw SQL on a plain
 * connection; this file proves that the path the code really takes (Db.run /
 * runAs setting the context, the entity repositories) is bound by them, and
 * that no table holding per-user data escapes: the tables are enumerated from
 * the catalog and the entity metadata, not listed by hand.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource, EntityMetadata, ObjectLiteral, Repository } from 'typeorm';

/** A row as a repository or a raw query returns it. */
type Row = Record<string, unknown>;
import { DOCTOR_WRAP_BYTES, ROUTES } from '@phr/shared-types';
import { DATA_SOURCE, Db, type Actor } from '../src/db/db.service.js';
import { fingerprintOf, insertAuditor, registerUnverifiedDoctor, registerUser, rsaPublicKey, sealedBlob, type RegisteredUser } from './support/factories.js';
import { presign, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { SoftAuthenticator, enrolSecurityKey } from './support/webauthn.js';

/**
 * Every table that holds one user's data, with the column naming that user.
 * The catalog test below fails when a table the application role can read is
 * in neither this list nor NO_PER_USER_DATA.
 */
const PER_USER_TABLES: Record<string, string> = {
  users: 'id',
  credentials: 'user_id',
  public_keys: 'user_id',
  refresh_tokens: 'user_id',
  security_keys: 'user_id',
  webauthn_challenges: 'user_id',
  totp_factors: 'user_id',
  known_devices: 'user_id',
  folders: 'owner_id',
  uploads: 'owner_id',
  records: 'owner_id',
  record_wraps: 'owner_id',
  consents: 'patient_id',
  audit_events: 'subject_id',
  audit_chain_heads: 'subject_id',
  object_deletions: 'owner_id',
  client_states: 'user_id',
  key_log_leaves: 'user_id',
  account_key_rotations: 'user_id',
  notification_settings: 'user_id',
  trusted_contacts: 'patient_id',
  contact_wraps: 'patient_id',
  // Break-glass (docs/protocol.md "Break-glass"): her setup, its holders and wraps, a break over her,
  // and the share she released as the holder for another patient (a release belongs to its holder).
  emergency_setups: 'patient_id',
  emergency_holders: 'patient_id',
  emergency_wraps: 'patient_id',
  emergency_breaks: 'patient_id',
  emergency_releases: 'holder_id',
};

/** Per-user tables whose rows belong to doctors, not patients (docs/protocol.md "Clinicians"): tested below with a doctor of their own. */
const DOCTOR_TABLES: Record<string, string> = {
  clinicians: 'user_id',
};

/** Tables the application role reads that hold nobody's data, and why. */
const NO_PER_USER_DATA: Record<string, string> = {
  login_throttle: 'failure counters keyed by HMACs of an email with an IP or device, or of a session; no user id',
  proof_of_work_spent: 'random ids of answered proof-of-work challenges and their expiry; no user id',
  rate_limits: 'request counters keyed by an HMAC of a user id or an IP; no user id',
  mail_outbox: 'mails waiting for the SMTP server: an address, a subject and a text (a registration link or a warning); no user id, no health data',
  key_log_tree: 'the size of the key directory’s tree; no user id',
  key_log_nodes: 'hashes of complete subtrees of the key directory; no user id',
  key_log_heads: 'signed tree heads of the key directory (size, root hash, time, signature); no user id',
};

/** Readable by other users on purpose (DESIGN 1, 4.5); still hidden from a caller nobody signed in as. */
const SHARED_BY_DESIGN: Record<string, readonly Actor['role'][]> = {
  // Public keys are public: a patient wraps file keys for a doctor with them.
  public_keys: ['patient', 'doctor', 'auditor'],
  // So is the key directory that logs them, for everyone to check (DESIGN 4.5).
  key_log_leaves: ['patient', 'doctor', 'auditor'],
  // The auditor reads every trail (metadata only) and verifies chains.
  audit_events: ['auditor'],
  audit_chain_heads: ['auditor'],
  // The auditors' review queue of break-glass (docs/protocol.md "Break-glass").
  emergency_breaks: ['auditor'],
};

describe('database defense: repositories under another user’s context read and change nothing (DESIGN 6)', () => {
  let api: TestApp;
  let db: Db;
  let dataSource: DataSource;
  let alice: RegisteredUser;
  let consentedDoctor: RegisteredUser;
  let recordIds: { shared: string; private: string };
  const strangers: Record<string, Actor> = {};

  beforeAll(async () => {
    api = await startTestApp();
    db = api.app.get(Db);
    dataSource = api.app.get<DataSource>(DATA_SOURCE);
    alice = await registerUser(api, 'patient');
    const bob = await registerUser(api, 'patient');
    const doctorWithoutConsent = await registerUser(api, 'doctor');
    consentedDoctor = await registerUser(api, 'doctor');
    strangers['a stranger patient'] = { userId: bob.userId, role: 'patient' };
    strangers['a doctor without consent'] = { userId: doctorWithoutConsent.userId, role: 'doctor' };
    strangers['an auditor'] = { userId: await insertAuditor(api.adminQuery), role: 'auditor' };
    strangers['no user at all'] = { userId: null, role: null };
    // Alice has a row in every per-user table: a folder, two records, an upload in
    // progress, a consent (with its doctor wrap), a session, her audit trail.
    const folder = await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } });
    const shared = await uploadRecord(alice, 10, folder.body.id);
    const unshared = await uploadRecord(alice, 10);
    await presign(alice, 10);
    const wraps = [{ recordId: shared.summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
    const consent = await alice.client.send(ROUTES.createConsent, {
      token: alice.token,
      body: { doctorId: consentedDoctor.userId, scope: 'record', recordId: shared.summary.id, wraps },
    });
    if (consent.status !== 201) throw new Error(`consent failed: ${consent.status} ${consent.text}`);
    // A trusted contact over the folder, with its wrap (a third patient: neither a stranger nor Alice).
    const carol = await registerUser(api, 'patient');
    const named = await alice.client.send(ROUTES.nameTrustedContact, {
      token: alice.token,
      body: { contactId: carol.userId, email: carol.request.email, scope: 'folder', folderId: folder.body.id, waitDays: 1, fingerprint: fingerprintOf(carol), wraps },
    });
    if (named.status !== 201) throw new Error(`naming a trusted contact failed: ${named.status} ${named.text}`);
    // Break-glass: her setup over the folder with a holder of her own (k = 1), a break over her by the
    // consented doctor, and a share she released as the holder of a fourth patient's setup.
    const [dave, erin] = [await registerUser(api, 'patient'), await registerUser(api, 'patient')];
    const emergencyShare = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');
    const setUp = async (patient: RegisteredUser, holder: RegisteredUser, scope: { scope: 'folder'; folderId: string } | { scope: 'all' }, recordWraps: typeof wraps) => {
      const response = await patient.client.send(ROUTES.configureEmergency, {
        token: patient.token,
        body: {
          ...scope,
          publicKey: rsaPublicKey(),
          sealedPrivateKey: sealedBlob(1800),
          keyCheck: sealedBlob(32),
          threshold: 1,
          holders: [{ holderId: holder.userId, fingerprint: fingerprintOf(holder), share: emergencyShare() }],
          wraps: recordWraps,
        },
      });
      if (response.status !== 200) throw new Error(`break-glass setup failed: ${response.status} ${response.text}`);
    };
    await setUp(alice, dave, { scope: 'folder', folderId: folder.body.id }, wraps);
    await setUp(erin, alice, { scope: 'all' }, []);
    const breakOver = async (patient: RegisteredUser) => {
      const response = await consentedDoctor.client.send(ROUTES.breakGlass, {
        token: consentedDoctor.token,
        body: { patientEmail: patient.request.email, reasonCode: 'ETREAT', reasonText: 'Unconscious, allergies needed' },
      });
      if (response.status !== 201) throw new Error(`break-glass failed: ${response.status} ${response.text}`);
      return response.body.id;
    };
    await breakOver(alice);
    const released = await alice.client.send(ROUTES.releaseEmergencyShare, {
      token: alice.token,
      params: { id: await breakOver(erin) },
      body: { fingerprint: fingerprintOf(consentedDoctor), share: emergencyShare() },
    });
    if (released.status !== 200) throw new Error(`releasing a share failed: ${released.status} ${released.text}`);
    // A security key, and a second enrolment left open (its challenge waits in webauthn_challenges).
    await enrolSecurityKey(alice, new SoftAuthenticator());
    const pending = await alice.client.send(ROUTES.securityKeyOptions, { token: alice.token, body: { name: 'Spare key' } });
    if (pending.status !== 200) throw new Error(`enrolment options failed: ${pending.status} ${pending.text}`);
    // An authenticator app, pending (its sealed secret waits in totp_factors).
    const totp = await alice.client.send(ROUTES.enrolTotp, { token: alice.token });
    if (totp.status !== 201) throw new Error(`authenticator app enrolment failed: ${totp.status} ${totp.text}`);
    // Her sealed client state (registration gave her a binding in the key directory).
    const state = await alice.client.send(ROUTES.putClientState, { token: alice.token, body: { expectedVersion: 0, sealed: sealedBlob(64) } });
    if (state.status !== 200) throw new Error(`client state failed: ${state.status} ${state.text}`);
    // Her notification settings.
    const settings = await alice.client.send(ROUTES.updateNotificationSettings, { token: alice.token, body: { portalOptOut: ['sharing'], emailOptOut: [] } });
    if (settings.status !== 200) throw new Error(`notification settings failed: ${settings.status} ${settings.text}`);
    recordIds = { shared: shared.summary.id, private: unshared.summary.id };
    // A deleted record whose objects the store has not confirmed removed yet waits in the deletion queue.
    const deleted = await uploadRecord(alice, 10);
    await api.adminQuery(`INSERT INTO object_deletions (object_key, owner_id, record_id) VALUES ($1, $2, $3)`, [
      `records/${deleted.summary.id}/0`,
      alice.userId,
      deleted.summary.id,
    ]);
    // Last (writes under the old key are refused from here on): an account-key rotation under way (its row in account_key_rotations; docs/protocol.md "Account-key rotation").
    const rotation = await alice.client.send(ROUTES.startKeyRotation, {
      token: alice.token,
      body: {
        currentAuthKey: alice.request.authKey,
        wrappedAccountKey: sealedBlob(),
        wrappedPrivateKey: sealedBlob(1800),
        fingerprint: createHash('sha256').update(Buffer.from(alice.request.keys.publicKey, 'base64url')).digest('hex'),
      },
    });
    if (rotation.status !== 201) throw new Error(`key rotation failed: ${rotation.status} ${rotation.text}`);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
  });

  const asAlice = (): Actor => ({ userId: alice.userId, role: 'patient' });

  /** The entity of a table, if the application maps it. */
  function entityOf(table: string): EntityMetadata | undefined {
    return dataSource.entityMetadatas.find((metadata) => metadata.tableName === table);
  }

  /** The rows of `table` visible in `actor`'s context, read the way the code reads: Db.runAs and the entity's repository (or Db's manager for the audit tables, which the code reads with SQL). */
  function readAll(actor: Actor, table: string): Promise<Row[]> {
    return db.runAs(actor, () => {
      const entity = entityOf(table);
      if (entity) return db.manager().getRepository(entity.target).find();
      return db.manager().createQueryBuilder().select('*').from(table, 't').getRawMany<Row>();
    });
  }

  /** Alice's rows of `table` in `actor`'s context, asked for by her id as a buggy service would. */
  function readAlices(actor: Actor, table: string): Promise<Row[]> {
    const column = PER_USER_TABLES[table];
    return db.runAs(actor, () => {
      const entity = entityOf(table);
      if (entity) {
        const property = entity.findColumnsWithPropertyPath(columnProperty(entity, column))[0].propertyName;
        return db.manager().getRepository(entity.target).findBy({ [property]: alice.userId });
      }
      return db.manager().createQueryBuilder().select('*').from(table, 't').where(`t.${column} = :owner`, { owner: alice.userId }).getRawMany<Row>();
    });
  }

  /** What an operator sees of Alice's rows: the reference the writes must leave unchanged. */
  async function snapshotOfAlice(): Promise<Record<string, unknown[]>> {
    const snapshot: Record<string, unknown[]> = {};
    for (const [table, column] of Object.entries(PER_USER_TABLES)) {
      snapshot[table] = await api.adminQuery(`SELECT * FROM ${table} WHERE ${column} = $1 ORDER BY 1, 2`, [alice.userId]);
    }
    return snapshot;
  }

  describe('the catalog: no per-user table escapes', () => {
    /** Tables, views and materialized views of the schema that the application role may (or may not) SELECT from. */
    const relationsOfApp = (canSelect: boolean) =>
      api.adminQuery<{ table_name: string }>(
        `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND has_table_privilege('phr_app', c.oid, 'SELECT') = $1`,
        [canSelect],
      );

    it('lists every table the application role can read, as per-user data or as holding nobody’s', async () => {
      const readable = await relationsOfApp(true);
      expect(readable.map((row) => row.table_name).sort()).toEqual([...Object.keys(PER_USER_TABLES), ...Object.keys(DOCTOR_TABLES), ...Object.keys(NO_PER_USER_DATA)].sort());
    });

    it('maps every entity of the application to a table of those lists', () => {
      const known = new Set([...Object.keys(PER_USER_TABLES), ...Object.keys(DOCTOR_TABLES), ...Object.keys(NO_PER_USER_DATA)]);
      expect(dataSource.entityMetadatas.map((metadata) => metadata.tableName).filter((table) => !known.has(table))).toEqual([]);
    });

    it('finds every table with a user column or a foreign key to users among the per-user tables', async () => {
      const rows = await api.adminQuery<{ table_name: string }>(
        `SELECT DISTINCT c.table_name FROM information_schema.columns c
         WHERE c.table_schema = 'public' AND c.data_type = 'uuid'
           AND c.column_name IN ('owner_id', 'patient_id', 'doctor_id', 'user_id', 'subject_id', 'recipient_id', 'actor_id')
         UNION
         SELECT DISTINCT cl.relname FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid
         WHERE k.contype = 'f' AND k.confrelid = 'public.users'::regclass`,
      );
      const readableByApp = new Set([...Object.keys(PER_USER_TABLES), ...Object.keys(DOCTOR_TABLES)]);
      const unreadable = await relationsOfApp(false);
      const outOfReach = new Set(unreadable.map((row) => row.table_name));
      expect(rows.map((row) => row.table_name).filter((table) => !readableByApp.has(table) && !outOfReach.has(table))).toEqual([]);
    });

    it('keeps tables that hold nobody’s data free of user ids', async () => {
      const uuidColumns = await api.adminQuery(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'uuid' AND table_name = ANY($1)`,
        [Object.keys(NO_PER_USER_DATA)],
      );
      expect(uuidColumns).toEqual([]);
    });

    it.each([...Object.keys(PER_USER_TABLES), ...Object.keys(DOCTOR_TABLES)])('binds the application role to RLS on %s (enabled, and phr_app neither owns it nor bypasses RLS)', async (table) => {
      const [row] = await api.adminQuery<{ rls: boolean; forced: boolean; owner: string; bypass: boolean }>(
        `SELECT c.relrowsecurity AS rls, c.relforcerowsecurity AS forced, pg_get_userbyid(c.relowner) AS owner,
                (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'phr_app') AS bypass
         FROM pg_class c WHERE c.oid = ('public.' || $1)::regclass`,
        [table],
      );
      expect(row.rls).toBe(true);
      expect(row.bypass).toBe(false);
      // RLS binds every role but the owner; FORCE would bind the owner too, which runs only migrations.
      expect(row.owner === 'phr_app' && !row.forced).toBe(false);
    });
  });

  describe('reading through the repositories', () => {
    it.each(Object.keys(PER_USER_TABLES))('shows Alice her own rows of %s (the readers below can see rows)', async (table) => {
      expect((await readAlices(asAlice(), table)).length).toBeGreaterThan(0);
    });

    const cases = () => Object.keys(strangers).flatMap((who) => Object.keys(PER_USER_TABLES).map((table) => [who, table] as const));

    it('gives a stranger patient, a doctor without consent, an auditor and nobody no row of Alice’s, in any per-user table', async () => {
      const leaks: string[] = [];
      for (const [who, table] of cases()) {
        const actor = strangers[who];
        const isSharedByDesign = actor.role !== null && (SHARED_BY_DESIGN[table] ?? []).includes(actor.role);
        if (isSharedByDesign) continue;
        const column = PER_USER_TABLES[table];
        const asked = await readAlices(actor, table);
        const everything = await readAll(actor, table);
        const alicesInEverything = everything.filter((row) => ownerOf(row, table, column) === alice.userId);
        if (asked.length || alicesInEverything.length) leaks.push(`${who} reads ${asked.length}/${alicesInEverything.length} of Alice's rows in ${table}`);
      }
      expect(leaks).toEqual([]);
    });

    it('shares by design only public keys with signed-in users, and the audit tables with the auditor', async () => {
      expect(await readAlices(strangers['a stranger patient'], 'public_keys')).toHaveLength(1);
      expect(await readAlices(strangers['no user at all'], 'public_keys')).toHaveLength(0);
      const trail = await readAlices(strangers['an auditor'], 'audit_events');
      expect(trail.length).toBeGreaterThan(0);
      expect(await readAlices(strangers['an auditor'], 'audit_chain_heads')).toHaveLength(1);
      // A stranger who is no auditor sees neither.
      expect(await readAlices(strangers['a stranger patient'], 'audit_events')).toHaveLength(0);
    });

    it('gives a consented doctor the shared record and their own wrap, never the unshared record or Alice’s own wrap', async () => {
      const doctor: Actor = { userId: consentedDoctor.userId, role: 'doctor' };
      expect((await readAlices(doctor, 'records')).map((row) => row.id)).toEqual([recordIds.shared]);
      const wraps = await readAlices(doctor, 'record_wraps');
      expect(wraps.map((row) => [row.recordId, row.recipientId])).toEqual([[recordIds.shared, consentedDoctor.userId]]);
      for (const table of ['folders', 'uploads', 'credentials', 'refresh_tokens', 'users']) expect(await readAlices(doctor, table)).toEqual([]);
      // The same id under a patient's role is not a doctor: no consent admits it.
      expect(await readAlices({ userId: consentedDoctor.userId, role: 'patient' }, 'records')).toEqual([]);
    });

    /** A doctor's standing as `actor` sees it (raw: the statement a skipped guard would run). */
    const standingSeenBy = (actor: Actor, doctorId: string) =>
      db.runAs(actor, () => db.manager().query<Row[]>('SELECT user_id, status FROM clinicians WHERE user_id = $1', [doctorId]));

    it('shows a doctor their own standing and an operator every one, and a stranger patient, another doctor, an auditor and nobody none', async () => {
      const doctorId = consentedDoctor.userId;
      expect(await standingSeenBy({ userId: doctorId, role: 'doctor' }, doctorId)).toEqual([{ user_id: doctorId, status: 'approved' }]);
      expect(await standingSeenBy({ userId: await insertAuditor(api.adminQuery, 'operator'), role: 'operator' }, doctorId)).toHaveLength(1);
      // Alice has a consent for this doctor: she sees the standing (a suspension is shown to her).
      expect(await standingSeenBy(asAlice(), doctorId)).toHaveLength(1);
      for (const [who, actor] of Object.entries(strangers)) expect({ who, rows: await standingSeenBy(actor, doctorId) }).toEqual({ who, rows: [] });
    });

    it('lets no one but an operator change a clinician’s standing: a doctor cannot approve themselves, nor enrol as approved', async () => {
      const waiting = await registerUnverifiedDoctor(api);
      const self: Actor = { userId: waiting.userId, role: 'doctor' };
      const tries: Array<[string, Actor]> = [['the doctor', self], ...Object.entries(strangers), ['Alice', asAlice()]];
      const outcomes: string[] = [];
      for (const [who, actor] of tries) {
        const outcome = await db
          .runAs(actor, () => db.manager().query(`UPDATE clinicians SET status = 'approved', verified_at = now() WHERE user_id = $1`, [waiting.userId]))
          .then((result: unknown) => `affected ${(result as [unknown, number])[1]}`)
          .catch((error: unknown) => (/row-level security|permission denied/.test(String(error)) ? 'refused' : `failed: ${String(error)}`));
        if (outcome !== 'refused' && outcome !== 'affected 0') outcomes.push(`${who}: ${outcome}`);
      }
      expect(outcomes).toEqual([]);
      const forged = await db
        .runAs({ userId: randomUUID(), role: 'doctor' }, () =>
          db.manager().query(`INSERT INTO clinicians (user_id, licence, organisation, status, origin, name_skeleton, verified_at) VALUES (app_user_id(), 'L', 'O', 'approved', 'invitation', 'x', now())`),
        )
        .then(() => 'inserted')
        .catch((error: unknown) => (/row-level security/.test(String(error)) ? 'refused' : `failed: ${String(error)}`));
      expect(forged).toBe('refused');
      expect((await api.adminQuery('SELECT status FROM clinicians WHERE user_id = $1', [waiting.userId]))[0]).toEqual({ status: 'pending' });
    });
  });

  describe('writing through the repositories', () => {
    /** Each entity table's rows of Alice, read as Alice, to aim the writes at. */
    async function alicesRows(): Promise<Array<{ table: string; entity: EntityMetadata; row: Row }>> {
      const targets: Array<{ table: string; entity: EntityMetadata; row: Row }> = [];
      for (const table of Object.keys(PER_USER_TABLES)) {
        const entity = entityOf(table);
        if (!entity) continue;
        for (const row of await readAlices(asAlice(), table)) targets.push({ table, entity, row });
      }
      return targets;
    }

    /** Runs a write in its own transaction under `actor`: the rows it changed, or 'refused' when a policy or a missing grant stopped it. */
    async function attempt(actor: Actor, write: (repository: Repository<ObjectLiteral>) => Promise<{ affected?: number | null }>, entity: EntityMetadata): Promise<string> {
      try {
        const result = await db.runAs(actor, () => write(db.manager().getRepository(entity.target)));
        return `affected ${result.affected ?? 'unknown'}`;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (/row-level security|permission denied/.test(message)) return 'refused';
        return `failed for another reason: ${message}`;
      }
    }

    it('cannot update or delete any row of Alice’s under another context: 0 rows or refused, and every row stays', async () => {
      const before = await snapshotOfAlice();
      const targets = await alicesRows();
      expect(new Set(targets.map((target) => target.table)).size).toBeGreaterThanOrEqual(9);
      const changed: string[] = [];
      for (const [who, actor] of Object.entries(strangers)) {
        for (const { table, entity, row } of targets) {
          const key = primaryKeyOf(entity, row);
          const column = entity.columns.find((candidate) => !candidate.isPrimary) ?? entity.columns[0];
          const update = await attempt(actor, (repository) => repository.update(key, { [column.propertyName]: column.getEntityValue(row) as unknown }), entity);
          const removal = await attempt(actor, (repository) => repository.delete(key), entity);
          for (const [what, outcome] of [['update', update], ['delete', removal]]) {
            if (outcome !== 'affected 0' && outcome !== 'refused') changed.push(`${who}: ${what} of ${table} ${outcome}`);
          }
        }
      }
      expect(changed).toEqual([]);
      expect(await snapshotOfAlice()).toEqual(before);
    });

    it('cannot create rows in Alice’s name under another context', async () => {
      const before = await snapshotOfAlice();
      const targets = await alicesRows();
      const created: string[] = [];
      for (const [who, actor] of Object.entries(strangers)) {
        for (const { table, entity, row } of targets) {
          // A copy of Alice's row under new ids wherever the id is not hers, so only the policy can stop it.
          const copy = { ...row };
          for (const primary of entity.primaryColumns) {
            if (primary.databaseName !== PER_USER_TABLES[table]) copy[primary.propertyName] = randomUUID();
          }
          if (table === 'refresh_tokens') copy.tokenHash = randomBytes(32);
          const outcome = await attempt(actor, (repository) => repository.insert(copy).then(() => ({ affected: 1 })), entity);
          if (outcome !== 'refused') created.push(`${who}: insert into ${table} ${outcome}`);
        }
      }
      expect(created).toEqual([]);
      expect(await snapshotOfAlice()).toEqual(before);
    });

    it('proves the writes can succeed: Alice herself updates one of her folders through the same path', async () => {
      const [folder] = await readAlices(asAlice(), 'folders');
      const entity = entityOf('folders') as EntityMetadata;
      expect(await attempt(asAlice(), (repository) => repository.update({ id: folder.id as string }, { name: folder.name as string }), entity)).toBe('affected 1');
    });
  });
});

/** The property of `entity` stored in `column`. */
function columnProperty(entity: EntityMetadata, column: string): string {
  const match = entity.columns.find((candidate) => candidate.databaseName === column);
  if (!match) throw new Error(`${entity.tableName} has no column ${column}`);
  return match.propertyPath;
}

/** The user a row belongs to, whether it came from a repository (properties) or raw (columns). */
function ownerOf(row: Row, table: string, column: string): unknown {
  if (column in row) return row[column];
  const camel = column.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
  if (!(camel in row)) throw new Error(`a row of ${table} carries neither ${column} nor ${camel}`);
  return row[camel];
}

function primaryKeyOf(entity: EntityMetadata, row: Row): ObjectLiteral {
  return Object.fromEntries(entity.primaryColumns.map((column) => [column.propertyName, column.getEntityValue(row) as unknown]));
}
