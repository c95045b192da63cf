/**
 * The baseline of read-bench.ts, run as a process of its own (never in the
 * bench's event loop): a bare Fastify server doing the work a doctor's
 * `GET /records/:id` cannot do without, and nothing else.
 *
 *  - the same JWT check as the API (jsonwebtoken, HS256 with the API's secret
 *    as a KeyObject, issuer, audience, key id, subject and role claims);
 *  - one transaction on a pg Pool of the API's size: BEGIN, one consent-checked
 *    SELECT of the record and the doctor's wrap (covering_consent(), the rule
 *    the API's RLS and RecordAccess use), one INSERT that continues the
 *    patient's audit chain (locks its head, SHA-256 over the same canonical
 *    text, in SQL; the chain trigger checks it and moves the head), COMMIT.
 *
 * It connects as the database owner, so RLS does not apply: the consent check
 * is in the SELECT itself. Configuration comes as JSON in READ_BASELINE; it
 * prints `listening <url>` on stdout when ready.
 */
import { createSecretKey } from 'node:crypto';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';
import pg from 'pg';

interface BaselineConfig {
  databaseUrl: string;
  poolSize: number;
  jwtSecretHex: string;
  jwtKeyId: string;
}

const config = JSON.parse(process.env.READ_BASELINE ?? '{}') as BaselineConfig;
const key = createSecretKey(Buffer.from(config.jwtSecretHex, 'hex'));
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
pool.on('error', () => undefined);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The caller of a valid token, or null. */
function doctorOf(header: string | undefined): string | null {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!token) return null;
  try {
    const { header: jwtHeader, payload } = jwt.verify(token, key, { algorithms: ['HS256'], issuer: 'phr-api', audience: 'phr-portal', complete: true });
    const claims = payload as jwt.JwtPayload;
    if (jwtHeader.kid !== config.jwtKeyId || typeof claims.sub !== 'string' || !UUID.test(claims.sub) || claims.role !== 'doctor') return null;
    return claims.sub;
  } catch {
    return null;
  }
}

const app = Fastify();
app.get<{ Params: { id: string } }>('/records/:id', async (request, reply) => {
  const doctorId = doctorOf(request.headers.authorization);
  if (!doctorId) return reply.code(401).send({ error: 'unauthenticated' });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string; owner_id: string; folder_id: string | null; size: string; chunk_bytes: number; metadata: string; created_at: Date; wrap: string; consent_id: string | null }>(
      `SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, w.wrap,
         covering_consent($2, r.owner_id, r.id, r.folder_id) AS consent_id
       FROM records r JOIN record_wraps w ON w.record_id = r.id AND w.recipient_id = $2 WHERE r.id = $1`,
      [request.params.id, doctorId],
    );
    const record = rows[0];
    if (!record || record.consent_id === null) {
      await client.query('ROLLBACK');
      return reply.code(404).send({ error: 'not found' });
    }
    const occurredAt = new Date().toISOString();
    const requestId = `baseline:${String(request.id)}`;
    const userAgent = request.headers['user-agent'] ?? null;
    const after = JSON.stringify([occurredAt, doctorId, 'doctor', 'record.read', 'allow', 'consented doctor', record.id, record.consent_id, request.ip, userAgent, requestId]).slice(1);
    await client.query(
      `INSERT INTO audit_events (subject_id, seq, occurred_at, actor_id, actor_role, action, outcome, reason, record_id, consent_id, ip, user_agent, request_id, prev_hash, hash)
       SELECT h.subject_id, h.seq + 1, $2, $3, 'doctor', 'record.read', 'allow', 'consented doctor', $4, $5, $6, $7, $8, h.hash,
         encode(sha256(convert_to(h.hash || E'\\n' || $9 || ',' || (h.seq + 1)::text || ',' || $10, 'UTF8')), 'hex')
       FROM audit_chain_heads h WHERE h.subject_id = $1 FOR UPDATE`,
      [record.owner_id, occurredAt, doctorId, record.id, record.consent_id, request.ip, userAgent, requestId, JSON.stringify([1, record.owner_id]).slice(0, -1), after],
    );
    await client.query('COMMIT');
    return {
      id: record.id,
      ownerId: record.owner_id,
      folderId: record.folder_id,
      size: Number(record.size),
      chunkBytes: record.chunk_bytes,
      createdAt: record.created_at.toISOString(),
      metadata: record.metadata,
      wrap: record.wrap,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${url}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
});
