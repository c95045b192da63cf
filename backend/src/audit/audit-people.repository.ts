import { Injectable } from '@nestjs/common';
import type { Role } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

export interface PersonRow {
  id: string;
  display_name: string;
  role: Role;
}

export interface AccessSummaryRow {
  actor_id: string;
  actor_role: string | null;
  reads: string;
  records: string;
  denied: string;
  last_at: Date;
}

/** Most people an access summary lists. */
const SUMMARY_PEOPLE = 100;

/**
 * The SQL behind the names in a trail (migration 1765810000000): audit_people, a definer
 * function that decides itself whose names the caller may know, and the access summary,
 * read from the caller's own trail under its RLS.
 */
@Injectable()
export class AuditPeopleRepository {
  constructor(private readonly db: Db) {}

  /** Auditors: a page of every account, in id order after `after` (migration 1765850000000); nobody else gets a row. */
  async accounts(after: string | null, limit: number): Promise<PersonRow[]> {
    return await this.db.manager().query<PersonRow[]>('SELECT id, display_name, role FROM audit_accounts($1::uuid, $2)', [after, limit]);
  }

  /** An auditor's page of the accounts matching every LIKE pattern (audit_accounts_matching). */
  async accountsMatching(patterns: string[], after: string | null, limit: number): Promise<PersonRow[]> {
    return await this.db.manager().query<PersonRow[]>('SELECT id, display_name, role FROM audit_accounts_matching($1::text[], $2::uuid, $3)', [patterns, after, limit]);
  }

  /** The subject and the actors of its trail (ids null), or those of `ids` the caller may know. */
  async people(subjectId: string, ids: string[] | null): Promise<PersonRow[]> {
    return await this.db.manager().query<PersonRow[]>('SELECT id, display_name, role FROM audit_people($1, $2::uuid[])', [subjectId, ids]);
  }

  /**
   * Others' record reads in a subject's trail since a time, per actor, most recent first
   * (the (subject_id, action, occurred_at) index).
   */
  async accessSummary(subjectId: string, since: string): Promise<AccessSummaryRow[]> {
    return await this.db.manager().query<AccessSummaryRow[]>(
      `SELECT actor_id, (array_agg(actor_role ORDER BY occurred_at DESC))[1] AS actor_role,
              count(*) FILTER (WHERE outcome = 'allow') AS reads,
              count(DISTINCT record_id) FILTER (WHERE outcome = 'allow') AS records,
              count(*) FILTER (WHERE outcome = 'deny') AS denied,
              max(occurred_at) AS last_at
         FROM audit_events
        WHERE subject_id = $1 AND action = 'record.read' AND occurred_at >= $2 AND actor_id IS NOT NULL AND actor_id <> $1
        GROUP BY actor_id ORDER BY last_at DESC, actor_id LIMIT ${SUMMARY_PEOPLE}`,
      [subjectId, since],
    );
  }
}
