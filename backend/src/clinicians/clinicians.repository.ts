import { Injectable } from '@nestjs/common';
import type { ClinicianOrigin, ClinicianStatus } from '@phr/shared-types';
import { Db } from '../db/db.service.js';

/** A clinician's row with the account's names, as the operators' queue shows it. */
export interface ClinicianRow {
  user_id: string;
  email: string;
  display_name: string;
  specialty: string | null;
  licence: string;
  organisation: string;
  status: ClinicianStatus;
  origin: ClinicianOrigin;
  name_skeleton: string;
  requested_at: Date;
  decided_at: Date | null;
  decided_by_name: string | null;
  reason: string | null;
}

/** What a doctor sees of their own row. */
export interface StandingRow {
  status: ClinicianStatus;
  licence: string;
  organisation: string;
  verified_by_name: string | null;
  verified_at: Date | null;
  reason: string | null;
}

/** An approved clinician whose name has a given skeleton. */
export interface LookAlikeRow {
  user_id: string;
  display_name: string;
  organisation: string;
  name_skeleton: string;
}

/** An operator's decision as stored; `verified` given when the decision changes who vouched. */
export interface DecisionChange {
  status: ClinicianStatus;
  decidedAt: Date;
  decidedBy: string;
  decidedByName: string;
  reason: string | null;
  verified?: { at: Date | null; byName: string | null };
}

export interface ClinicianInvitation {
  tokenHash: string;
  email: string;
  displayName: string;
  specialty: string | null;
  licence: string;
  organisation: string;
  expiresAt: Date;
}

const CLINICIAN_COLUMNS = `c.user_id, u.email, u.display_name, u.specialty, c.licence, c.organisation, c.status, c.origin, c.name_skeleton,
  c.requested_at, c.decided_at, c.decided_by_name, c.reason`;

/**
 * The SQL of `clinicians` (migration 1765500000000) and of its definer
 * functions (`invite_clinician`, `clinician_patients`), with the names of the
 * accounts they belong to (read from `users`, whose other SQL is
 * users/users.repository.ts; users/ sits above clinicians/ and asks this
 * repository for a doctor's standing). Runs in the caller's transaction: RLS
 * shows a doctor their own row and an operator every row and its account.
 */
@Injectable()
export class CliniciansRepository {
  constructor(private readonly db: Db) {}

  /** A doctor's own row (RLS shows a doctor only theirs); null for an account that is no doctor. */
  async standing(userId: string): Promise<StandingRow | null> {
    const [row] = await this.db
      .manager()
      .query<StandingRow[]>('SELECT status, licence, organisation, verified_by_name, verified_at, reason FROM clinicians WHERE user_id = $1', [userId]);
    return row ?? null;
  }

  /** A doctor's status as the caller's context sees it (a doctor their own; null when RLS shows no row). */
  async statusOf(userId: string): Promise<ClinicianStatus | null> {
    const [row] = await this.db.manager().query<Array<{ status: ClinicianStatus }>>('SELECT status FROM clinicians WHERE user_id = $1', [userId]);
    return row?.status ?? null;
  }

  /** The statuses of these doctors that the caller's context sees (a patient: the doctors of its consents). */
  async statusesOf(userIds: readonly string[]): Promise<Map<string, ClinicianStatus>> {
    const rows = await this.db
      .manager()
      .query<Array<{ user_id: string; status: ClinicianStatus }>>('SELECT user_id, status FROM clinicians WHERE user_id = ANY($1::uuid[])', [userIds]);
    return new Map(rows.map((row) => [row.user_id, row.status]));
  }

  /** A doctor's own registration: a request that waits for an operator. */
  async insertRequest(request: { userId: string; licence: string; organisation: string; nameSkeleton: string; requestedAt: Date }): Promise<void> {
    await this.db
      .manager()
      .query(`INSERT INTO clinicians (user_id, licence, organisation, status, origin, name_skeleton, requested_at) VALUES ($1, $2, $3, 'pending', 'request', $4, $5)`, [
        request.userId,
        request.licence,
        request.organisation,
        request.nameSkeleton,
        request.requestedAt,
      ]);
  }

  /** Enrols the new account from the clinician invitation it just claimed, approved by the inviting operator (enrol_invited_clinician). */
  async enrolInvited(tokenHash: string, nameSkeleton: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ enrolled: boolean | null }>>('SELECT enrol_invited_clinician($1, $2) AS enrolled', [tokenHash, nameSkeleton]);
    return row?.enrolled === true;
  }

  /** A while-pending name correction: the skeleton follows the name. */
  async updateNameSkeleton(userId: string, nameSkeleton: string): Promise<void> {
    await this.db.manager().query('UPDATE clinicians SET name_skeleton = $2 WHERE user_id = $1', [userId, nameSkeleton]);
  }

  /** The queue in (requested_at, user_id) order, after the cursor's row, of one status if given. */
  async page(status: ClinicianStatus | undefined, after: { createdAt: string; id: string } | null, limit: number): Promise<ClinicianRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (status) {
      params.push(status);
      where.push(`c.status = $${params.length}`);
    }
    if (after) {
      params.push(after.createdAt, after.id);
      where.push(`(c.requested_at, c.user_id) > ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    return await this.db.manager().query<ClinicianRow[]>(
      `SELECT ${CLINICIAN_COLUMNS} FROM clinicians c JOIN users u ON u.id = c.user_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.requested_at, c.user_id LIMIT $${params.length}`,
      params,
    );
  }

  /** The clinician's row, locked until the transaction ends. */
  async lockForDecision(userId: string): Promise<ClinicianRow | null> {
    const [row] = await this.db
      .manager()
      .query<ClinicianRow[]>(`SELECT ${CLINICIAN_COLUMNS} FROM clinicians c JOIN users u ON u.id = c.user_id WHERE c.user_id = $1 FOR UPDATE OF c`, [userId]);
    return row ?? null;
  }

  async rows(userIds: readonly string[]): Promise<ClinicianRow[]> {
    return await this.db
      .manager()
      .query<ClinicianRow[]>(`SELECT ${CLINICIAN_COLUMNS} FROM clinicians c JOIN users u ON u.id = c.user_id WHERE c.user_id = ANY($1::uuid[])`, [userIds]);
  }

  async decide(userId: string, change: DecisionChange): Promise<void> {
    const params: unknown[] = [userId, change.status, change.decidedAt, change.decidedBy, change.decidedByName, change.reason];
    const verified = change.verified ? (params.push(change.verified.at, change.verified.byName), ', verified_at = $7, verified_by_name = $8') : '';
    await this.db
      .manager()
      .query(`UPDATE clinicians SET status = $2, decided_at = $3, decided_by = $4, decided_by_name = $5, reason = $6${verified} WHERE user_id = $1`, params);
  }

  /**
   * Ends every session of a clinician and forgets their browsers (end_clinician_sessions(), a
   * definer function that answers operators only): the live sessions ended, or null when the
   * caller is no operator or the account no clinician.
   */
  async endSessions(clinicianId: string): Promise<number | null> {
    const [row] = await this.db.manager().query<Array<{ ended: number | null }>>('SELECT end_clinician_sessions($1) AS ended', [clinicianId]);
    return row?.ended ?? null;
  }

  /** Approved clinicians whose names have one of these skeletons, by name. */
  async approvedWithSkeletons(skeletons: readonly string[]): Promise<LookAlikeRow[]> {
    return await this.db.manager().query<LookAlikeRow[]>(
      `SELECT c.user_id, u.display_name, c.organisation, c.name_skeleton FROM clinicians c JOIN users u ON u.id = c.user_id
       WHERE c.status = 'approved' AND c.name_skeleton = ANY($1::text[]) ORDER BY u.display_name, c.user_id`,
      [skeletons],
    );
  }

  /** Until the transaction ends, no other takes this skeleton's lock: two look-alikes are decided one after the other. */
  async lockSkeleton(nameSkeleton: string): Promise<void> {
    await this.db.manager().query(`SELECT pg_advisory_xact_lock(hashtextextended('clinician-name:' || $1, 0))`, [nameSkeleton]);
  }

  /** Stores an invitation (operators only: false for anyone else). */
  async invite(invitation: ClinicianInvitation): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ invited: boolean | null }>>('SELECT invite_clinician($1, $2, $3, $4, $5, $6, $7) AS invited', [
      invitation.tokenHash,
      invitation.email,
      invitation.displayName,
      invitation.specialty,
      invitation.licence,
      invitation.organisation,
      invitation.expiresAt,
    ]);
    return row?.invited === true;
  }

  /**
   * Whether an account has this email, whoever the caller is (an invitation
   * for it would make a second): through auth_account_by_email, the definer
   * function sign-in finds accounts with (users/users.repository.ts).
   */
  async isEmailTaken(email: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ taken: boolean }>>('SELECT EXISTS (SELECT 1 FROM auth_account_by_email($1)) AS taken', [email]);
    return row?.taken === true;
  }

  /** An account's display name (an operator's own, to sign a decision or an invitation with). */
  async displayNameOf(userId: string): Promise<string | null> {
    const [row] = await this.db.manager().query<Array<{ display_name: string }>>('SELECT display_name FROM users WHERE id = $1', [userId]);
    return row?.display_name ?? null;
  }

  /** The patients of the doctor's active consents, with their emails (operators only). */
  async patientsOf(doctorId: string): Promise<Array<{ patient_id: string; email: string }>> {
    return await this.db.manager().query<Array<{ patient_id: string; email: string }>>('SELECT patient_id, email FROM clinician_patients($1)', [doctorId]);
  }
}
