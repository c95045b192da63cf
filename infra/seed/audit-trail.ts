/**
 * Audit rows for the seed: one hash chain per subject, each row hashed exactly
 * as the API hashes it (shared-types `auditHashInput`, DESIGN 7), written with
 * COPY. The chain trigger checks and moves the head one row at a time, which
 * for millions of rows in one transaction walks a growing chain of head row
 * versions; so the seed disables it inside its transaction (the table stays
 * locked until COMMIT, no other writer can slip a row in), computes the same
 * continuation itself, and sets the heads to the last rows it wrote.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AUDIT_GENESIS_HASH, auditHashInput, type AuditAction, type AuditActorRole, type AuditEvent, type AuditOutcome } from '@phr/shared-types';

/** What a subject's trail may name: its records and consents, the doctors and auditors of the seed. */
export interface TrailSubject {
  subjectId: string;
  role: 'patient' | 'doctor' | 'auditor';
  /** Rows to write, the first being the registration. */
  rows: number;
  recordIds: readonly string[];
  consents: ReadonlyArray<{ consentId: string; doctorId: string }>;
}

export interface TrailPeople {
  doctorIds: readonly string[];
  auditorIds: readonly string[];
}

export interface TrailSpan {
  /** The first row's time; rows follow evenly, with jitter, up to `until`. */
  since: Date;
  until: Date;
}

/** A small, fast, reproducible generator (mulberry32): the trail's shape is random, not its security. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];

type Row = Omit<AuditEvent, 'hash' | 'prevHash'>;
type RowShape = Pick<Row, 'actorId' | 'actorRole' | 'action' | 'outcome' | 'reason' | 'recordId' | 'consentId'>;

/**
 * What happens in a trail, by weight: a patient's own reads and sessions, consented doctors'
 * reads, refusals (about one row in twelve), an auditor's look. The reasons are the API's.
 */
function patientRowShape(subject: TrailSubject, people: TrailPeople, random: () => number): RowShape {
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const self = { actorId: subject.subjectId, actorRole: 'patient' as AuditActorRole, reason: null, recordId: null, consentId: null, outcome: 'allow' as AuditOutcome };
  const roll = random();
  const consent = pick(subject.consents);
  const recordId = pick(subject.recordIds) ?? null;
  if (roll < 0.28 && consent && recordId) {
    return { actorId: consent.doctorId, actorRole: 'doctor', action: 'record.read', outcome: 'allow', reason: null, recordId, consentId: consent.consentId };
  }
  if (roll < 0.31) {
    const doctorId = pick(people.doctorIds) ?? null;
    return { actorId: doctorId, actorRole: doctorId ? 'doctor' : null, action: 'record.read', outcome: 'deny', reason: 'no consent in force covers this record', recordId, consentId: null };
  }
  if (roll < 0.34) return { actorId: null, actorRole: null, action: 'session.login', outcome: 'deny', reason: 'wrong password', recordId: null, consentId: null };
  if (roll < 0.36) return { ...self, action: 'record.delete', outcome: 'deny', reason: 'not the owner of this record', recordId };
  if (roll < 0.37 && people.auditorIds.length) {
    return { actorId: pick(people.auditorIds) ?? null, actorRole: 'auditor', action: 'audit.read', outcome: 'allow', reason: null, recordId: null, consentId: null };
  }
  const ownActions: ReadonlyArray<[number, AuditAction]> = [
    [0.47, 'record.read'],
    [0.6, 'record.list'],
    [0.7, 'session.refresh'],
    [0.76, 'session.login'],
    [0.8, 'session.logout'],
    [0.85, 'audit.read'],
    [0.88, 'audit.head'],
    [0.92, 'folder.list'],
    [0.95, 'consent.list'],
    [0.97, 'key.read'],
    [0.985, 'record.upload'],
    [1, 'record.create'],
  ];
  const action = ownActions.find(([bound]) => roll < bound)?.[1] ?? 'record.list';
  const namesRecord = action === 'record.read' || action === 'record.upload' || action === 'record.create';
  return { ...self, action, recordId: namesRecord ? recordId : null };
}

function staffRowShape(subject: TrailSubject, random: () => number): RowShape {
  const roll = random();
  const self = { actorId: subject.subjectId, actorRole: subject.role as AuditActorRole, reason: null, recordId: null, consentId: null };
  if (roll < 0.05) return { ...self, actorId: null, actorRole: null, action: 'session.login', outcome: 'deny', reason: 'wrong password' };
  if (roll < 0.4) return { ...self, action: 'session.refresh', outcome: 'allow' };
  if (roll < 0.6) return { ...self, action: 'session.login', outcome: 'allow' };
  if (roll < 0.7) return { ...self, action: 'session.logout', outcome: 'allow' };
  return { ...self, action: subject.role === 'auditor' ? 'audit.read' : 'consent.list', outcome: 'allow' };
}

function registrationShape(subject: TrailSubject): RowShape {
  return { actorId: subject.subjectId, actorRole: subject.role, action: 'account.register', outcome: 'allow', reason: 'privacy notice seed accepted', recordId: null, consentId: null };
}

/** One value of COPY's text format. */
function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  return typeof value === 'number' ? String(value) : value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export const AUDIT_COPY_COLUMNS =
  'subject_id, seq, occurred_at, actor_id, actor_role, action, outcome, reason, record_id, consent_id, ip, user_agent, request_id, prev_hash, hash';

function copyLine(row: Row, prevHash: string, hash: string): string {
  return [
    row.subjectId,
    row.seq,
    row.occurredAt,
    row.actorId,
    row.actorRole,
    row.action,
    row.outcome,
    row.reason,
    row.recordId,
    row.consentId,
    row.ip,
    row.userAgent,
    row.requestId,
    prevHash,
    hash,
  ]
    .map(copyValue)
    .join('\t');
}

/** The chain heads the rows end at, filled as the rows are generated. */
export type SeededHeads = Map<string, { seq: number; hash: string }>;

/** COPY text of every subject's chain, in chain order, ~256 KiB per chunk, generated as COPY asks for more. */
function* trailText(subjects: readonly TrailSubject[], people: TrailPeople, span: TrailSpan, heads: SeededHeads): Generator<string> {
  const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
  const chunk: string[] = [];
  let chunkChars = 0;
  for (const [index, subject] of subjects.entries()) {
    const random = randomSource(index * 7919 + subject.subjectId.charCodeAt(0));
    const since = span.since.getTime();
    const step = Math.max(1, Math.floor((span.until.getTime() - since) / Math.max(1, subject.rows)));
    const ip = `10.${index % 250}.${Math.floor(random() * 250)}.${1 + Math.floor(random() * 250)}`;
    const userAgent = USER_AGENTS[index % USER_AGENTS.length];
    let prevHash = AUDIT_GENESIS_HASH;
    for (let seq = 1; seq <= subject.rows; seq++) {
      const shape = seq === 1 ? registrationShape(subject) : subject.role === 'patient' ? patientRowShape(subject, people, random) : staffRowShape(subject, random);
      // Strictly later than the row before: at least 1 ms, at most a step.
      const occurredAt = new Date(since + (seq - 1) * step + Math.floor(random() * (step - 1))).toISOString();
      const row: Row = { subjectId: subject.subjectId, seq, occurredAt, ...shape, ip, userAgent, requestId: randomUUID() };
      const hash = sha256Hex(auditHashInput(prevHash, row));
      const line = copyLine(row, prevHash, hash);
      chunk.push(line);
      chunkChars += line.length;
      prevHash = hash;
      if (chunkChars > 256 * 1024) {
        yield `${chunk.join('\n')}\n`;
        chunk.length = 0;
        chunkChars = 0;
      }
    }
    heads.set(subject.subjectId, { seq: subject.rows, hash: prevHash });
  }
  if (chunk.length) yield `${chunk.join('\n')}\n`;
}

/** Rows from which a load into a table of fewer rows rebuilds its secondary indexes after the COPY instead of growing them row by row (2.5× faster at 1M rows). */
const BULK_LOAD_ROWS = 200_000;

/**
 * For a load larger than the table: drops the secondary indexes of audit_events (inside the
 * seed's transaction: no one sees the table without them) and answers how to make them again,
 * from their own definitions. The primary key stays: it is the chain's order.
 */
async function dropIndexesForBulkLoad(client: pg.ClientBase, rows: number): Promise<() => Promise<void>> {
  const {
    rows: [table],
  } = await client.query<{ estimate: string }>(`SELECT greatest(reltuples, 0)::bigint AS estimate FROM pg_class WHERE oid = 'audit_events'::regclass`);
  if (rows < BULK_LOAD_ROWS || rows < Number(table.estimate)) return () => Promise.resolve();
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = 'audit_events'::regclass AND NOT i.indisprimary`,
  );
  for (const index of indexes) await client.query(`DROP INDEX ${client.escapeIdentifier(index.name)}`);
  return async () => {
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    for (const index of indexes) await client.query(index.definition);
  };
}

/**
 * Writes the subjects' trails (new subjects: none may have a chain yet) and
 * their chain heads, in the client's current transaction, which must be the
 * table owner's (disabling a trigger). Returns the heads written.
 */
export async function writeTrails(client: pg.ClientBase, subjects: readonly TrailSubject[], people: TrailPeople, span: TrailSpan): Promise<SeededHeads> {
  const heads: SeededHeads = new Map();
  const ids = subjects.map((subject) => subject.subjectId);
  const taken = await client.query<{ subject_id: string }>('SELECT subject_id FROM audit_chain_heads WHERE subject_id = ANY($1::uuid[])', [ids]);
  if (taken.rowCount) throw new Error(`The seed writes new trails only; ${taken.rows[0].subject_id} has one`);
  await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_chain');
  const rebuild = await dropIndexesForBulkLoad(client, subjects.reduce((sum, subject) => sum + subject.rows, 0));
  await pipeline(Readable.from(trailText(subjects, people, span, heads)), client.query(copyFrom(`COPY audit_events (${AUDIT_COPY_COLUMNS}) FROM STDIN`)));
  await rebuild();
  await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_chain');
  await client.query('INSERT INTO audit_chain_heads (subject_id, seq, hash) SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[])', [
    [...heads.keys()],
    [...heads.values()].map((head) => head.seq),
    [...heads.values()].map((head) => head.hash),
  ]);
  return heads;
}
