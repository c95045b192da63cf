import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { auditHashInput, type AuditAction, type AuditEvent, type AuditOutcome } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

export interface AuditEntry {
  subjectId: string;
  action: AuditAction;
  outcome: AuditOutcome;
  reason?: string;
  recordId?: string;
  consentId?: string;
}

/**
 * The only writer of audit rows (DESIGN 7). An allowed action is recorded in
 * the action's own transaction, so if the row cannot be written the action
 * fails. A denial is recorded after the request's rollback, in a transaction
 * of its own.
 */
@Injectable()
export class AuditService {
  constructor(private readonly db: Db) {}

  /** Records an allowed action in the current transaction. */
  async allow(entry: Omit<AuditEntry, 'outcome'>): Promise<void> {
    await this.append(this.db.manager(), { ...entry, outcome: 'allow' });
  }

  /** Records a denial; it is written even though the request then fails. */
  deny(entry: Omit<AuditEntry, 'outcome'> & { reason: string }): void {
    this.db.deferWrite((manager) => this.append(manager, { ...entry, outcome: 'deny' }));
  }

  /** Records an entry in the current transaction as it is; for use inside deferred writes. */
  async record(entry: AuditEntry): Promise<void> {
    await this.append(this.db.manager(), entry);
  }

  private async append(manager: EntityManager, entry: AuditEntry): Promise<void> {
    const actor = this.db.actor();
    const meta = this.db.meta();
    // Locks this subject's chain until commit: concurrent writers for one patient
    // queue here, other patients do not wait.
    const [head] = await manager.query<Array<{
      seq: string;
      hash: string;
    }>>('SELECT seq, hash FROM audit_chain_head($1)', [entry.subjectId]);
    const row: Omit<AuditEvent, 'hash' | 'prevHash'> = {
      subjectId: entry.subjectId,
      seq: Number(head.seq) + 1,
      occurredAt: new Date().toISOString(),
      actorId: actor.userId,
      actorRole: actor.role,
      action: entry.action,
      outcome: entry.outcome,
      reason: entry.reason ?? null,
      recordId: entry.recordId ?? null,
      consentId: entry.consentId ?? null,
      ip: meta.ip,
      userAgent: meta.userAgent,
      requestId: meta.requestId,
    };
    const hash = createHash('sha256').update(auditHashInput(head.hash, row), 'utf8').digest('hex');
    // No RETURNING: the caller's RLS context may not be allowed to read the row it appends.
    await manager.query(
      `INSERT INTO audit_events (subject_id, seq, occurred_at, actor_id, actor_role, action, outcome, reason,
         record_id, consent_id, ip, user_agent, request_id, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        row.subjectId, row.seq, row.occurredAt, row.actorId, row.actorRole, row.action, row.outcome, row.reason,
        row.recordId, row.consentId, row.ip, row.userAgent, row.requestId, head.hash, hash,
      ],
    );
  }
}
