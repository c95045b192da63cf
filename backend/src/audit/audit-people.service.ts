import { Injectable } from '@nestjs/common';
import { ACCESS_SUMMARY_DAYS, AUDIT_ACCOUNTS_PAGE_DEFAULT, type AccessSummary, type AuditAccounts, type AuditAccountsQuery, type AuditAccountsSearchRequest, type AuditActorRole, type AuditPeople, type AuditPeopleQuery } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { AuditPeopleRepository, type PersonRow } from './audit-people.repository.js';
import { AuditReadRecorder } from './audit-read-recorder.js';
import { AuditReadService } from './audit-read.service.js';

/**
 * Names for the trail (docs/protocol.md "Names in the trail"): who the people of a trail
 * are, and who else opened a patient's records lately. Display only: the portal takes no
 * key and makes no decision on them.
 */
@Injectable()
export class AuditPeopleService {
  constructor(
    private readonly repository: AuditPeopleRepository,
    private readonly reads: AuditReadRecorder,
    private readonly trails: AuditReadService,
  ) {}

  async people(user: AuthUser, query: AuditPeopleQuery): Promise<AuditPeople> {
    // Only an auditor reads another trail (refused and filed as for GET /audit); the function checks it again.
    await this.trails.refuseOtherTrail(user, query.subjectId, 'audit.read');
    const subjectId = user.role === 'auditor' ? (query.subjectId ?? user.userId) : user.userId;
    await this.reads.record(user, 'audit.read', { subjectId: query.subjectId });
    const ids = query.ids === undefined ? null : [...new Set(query.ids.split(',').map((id) => id.toLowerCase()))];
    const rows = await this.repository.people(subjectId, ids);
    return { people: rows.map((row) => ({ id: row.id, displayName: row.display_name, role: row.role })) };
  }

  /** An auditor's page of every account, for "whose trail" (the route admits auditors only; the function checks it again). */
  async accounts(user: AuthUser, query: AuditAccountsQuery): Promise<AuditAccounts> {
    await this.reads.recordAccountList(user);
    const limit = query.limit ?? AUDIT_ACCOUNTS_PAGE_DEFAULT;
    return accountPage(await this.repository.accounts(query.after?.toLowerCase() ?? null, limit), limit);
  }

  /** An auditor's page of the accounts whose shown name or role holds every word of `q`, any case (each word's LIKE characters taken literally). */
  async searchAccounts(user: AuthUser, request: AuditAccountsSearchRequest): Promise<AuditAccounts> {
    await this.reads.recordAccountList(user);
    const limit = request.limit ?? AUDIT_ACCOUNTS_PAGE_DEFAULT;
    // Lower-cased by audit_accounts_matching, with the same lower() as the names.
    const patterns = request.q
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => `%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
    return accountPage(await this.repository.accountsMatching(patterns, request.after?.toLowerCase() ?? null, limit), limit);
  }

  async accessSummary(user: AuthUser): Promise<AccessSummary> {
    const since = new Date(Date.now() - ACCESS_SUMMARY_DAYS * 86_400_000).toISOString();
    const rows = await this.repository.accessSummary(user.userId, since);
    const names = new Map((await this.repository.people(user.userId, rows.map((row) => row.actor_id))).map((person) => [person.id, person.display_name]));
    return {
      since,
      people: rows.map((row) => ({
        actorId: row.actor_id,
        displayName: names.get(row.actor_id) ?? null,
        role: row.actor_role as AuditActorRole | null,
        reads: Number(row.reads),
        records: Number(row.records),
        denied: Number(row.denied),
        lastAt: row.last_at.toISOString(),
      })),
    };
  }
}

/** A page of accounts; a full one names the next page's `after`. */
function accountPage(rows: PersonRow[], limit: number): AuditAccounts {
  return {
    accounts: rows.map((row) => ({ id: row.id, displayName: row.display_name, role: row.role })),
    nextAfter: rows.length === limit ? rows[rows.length - 1].id : null,
  };
}
