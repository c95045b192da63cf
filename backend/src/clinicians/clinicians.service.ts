import { Inject, Injectable } from '@nestjs/common';
import {
  ERROR_CODES,
  type AuditAction,
  type ClinicianInvitationSent,
  type ClinicianList,
  type ClinicianStatus,
  type ClinicianSummary,
  type InviteClinicianRequest,
  type ListCliniciansQuery,
  type LookAlike,
} from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { normalizeEmail } from '../identity/email.js';
import type { AuthUser } from '../identity/auth-user.js';
import { INVITATION_HOURS, invitationHash, invitationRef, newInvitationCode } from '../identity/invitation-codes.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { decodeCursor, encodeCursor } from '../common/page-cursor.js';
import { MailOutbox } from '../mail/mail-outbox.js';
import { clinicianInvitationMail, doctorStandingMail, invitationLink } from './clinician-mails.js';
import { CliniciansRepository, type ClinicianRow } from './clinicians.repository.js';
import { isMixedScript, nameSkeleton, normaliseName } from './name-check.js';

const DEFAULT_PAGE = 50;

/** An operator's decision: the standings it applies to, the one it leads to, and its audit action. */
const DECISIONS = {
  approve: { from: ['pending', 'refused'], to: 'approved', action: 'clinician.approve' },
  refuse: { from: ['pending'], to: 'refused', action: 'clinician.refuse' },
  suspend: { from: ['approved'], to: 'suspended', action: 'clinician.suspend' },
  reinstate: { from: ['suspended'], to: 'approved', action: 'clinician.reinstate' },
} as const satisfies Record<string, { from: readonly ClinicianStatus[]; to: ClinicianStatus; action: string }>;
export type Decision = keyof typeof DECISIONS;

/**
 * Who may be a doctor (docs/protocol.md "Clinicians"): operators invite
 * clinicians, and approve, refuse, suspend and reinstate them. Every step is
 * audited in the clinician's trail; a suspension and a reinstatement also in
 * the trail of each patient with an active consent for the doctor, who is
 * mailed a notice. Runs as the operator: RLS shows operators the clinicians
 * and their accounts, nothing else of anyone's.
 */
@Injectable()
export class CliniciansService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clinicians: CliniciansRepository,
    private readonly audit: AuditService,
    private readonly outbox: MailOutbox,
  ) {}

  async list(operator: AuthUser, query: ListCliniciansQuery): Promise<ClinicianList> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await this.clinicians.page(query.status, query.cursor ? decodeCursor(query.cursor) : null, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    await this.audit.allow({ subjectId: operator.userId, action: 'clinician.list', reason: `${page.length} clinician(s)${query.status ? ` ${query.status}` : ''}` });
    const lookAlikes = await this.approvedLookAlikes(page.map((row) => row.name_skeleton));
    return {
      items: page.map((row) => toSummary(row, lookAlikes)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.requested_at, last.user_id) : null,
    };
  }

  /**
   * Vouches for a clinician before they have an account: the one-time code
   * goes to their mailbox only (hashed here, valid INVITATION_HOURS), and the
   * account it makes is approved by this operator from the start.
   */
  async invite(operator: AuthUser, request: InviteClinicianRequest): Promise<ClinicianInvitationSent> {
    const email = normalizeEmail(request.email);
    const displayName = normaliseName(request.displayName);
    await this.lockName(displayName);
    await this.assertNameAcceptable(operator, displayName, null, 'clinician.invite');
    if (await this.clinicians.isEmailTaken(email)) {
      this.audit.deny({ subjectId: operator.userId, action: 'clinician.invite', reason: 'the email already has an account' });
      throw new ApiError(409, ERROR_CODES.conflict, 'This email already has an account: a clinician who registered waits in the queue for approval', [
        { field: 'email', message: 'already has an account' },
      ]);
    }
    const code = newInvitationCode();
    const expiresAt = new Date(Date.now() + INVITATION_HOURS * 3_600_000);
    const isInvited = await this.clinicians.invite({
      tokenHash: invitationHash(code),
      email,
      displayName,
      specialty: request.specialty?.trim() ?? null,
      licence: request.licence.trim(),
      organisation: request.organisation.trim(),
      expiresAt,
    });
    if (!isInvited) throw ApiError.forbidden('Only an operator invites clinicians');
    const operatorName = await this.nameOf(operator);
    const origin = this.config.portalOrigin;
    await this.outbox.queue(clinicianInvitationMail(origin, email, invitationLink(origin, code, email), operatorName, expiresAt));
    // The trail outlives an erasure and holds no names (docs/erasure.md): the invitation is named by its hash, as the clinician's row names it.
    await this.audit.allow({ subjectId: operator.userId, action: 'clinician.invite', reason: `invitation ${invitationRef(invitationHash(code))} sent` });
    return { email, expiresAt: expiresAt.toISOString() };
  }

  async decide(operator: AuthUser, clinicianId: string, decision: Decision, reason?: string): Promise<ClinicianSummary> {
    const rule = DECISIONS[decision];
    const current = await this.locked(operator, clinicianId, rule.action);
    if (!(rule.from as readonly ClinicianStatus[]).includes(current.status)) {
      this.audit.deny({ subjectId: clinicianId, action: rule.action, reason: `the clinician is ${current.status}` });
      throw new ApiError(409, ERROR_CODES.clinicianState, `This clinician is ${current.status}: ${decision} applies only to one ${rule.from.join(' or ')}`);
    }
    if (decision === 'approve' || decision === 'reinstate') {
      // A reinstatement makes the name approved again: a look-alike approved while this one was suspended would then stand beside it.
      await this.lockName(current.display_name);
      await this.assertNameAcceptable(operator, current.display_name, clinicianId, decision === 'approve' ? 'clinician.approve' : 'clinician.reinstate');
    }
    const operatorName = await this.nameOf(operator);
    const now = new Date();
    await this.clinicians.decide(clinicianId, {
      status: rule.to,
      decidedAt: now,
      decidedBy: operator.userId,
      decidedByName: operatorName,
      reason: reason?.trim() ?? null,
      // Who vouched changes with an approval only; a reinstatement restores the approval that stood.
      ...(decision === 'approve' ? { verified: { at: now, byName: operatorName } } : {}),
      ...(rule.to === 'refused' ? { verified: { at: null, byName: null } } : {}),
    });
    await this.audit.allow({ subjectId: clinicianId, action: rule.action, reason: `by operator ${operator.userId}${reason ? '; a reason was given to the clinician' : ''}` });
    if (rule.action === 'clinician.suspend' || rule.action === 'clinician.reinstate') await this.notifyPatients(current, rule.action);
    return (await this.summaries([clinicianId]))[0];
  }

  /**
   * Ends every session of a clinician, whatever their standing (ASVS 5.0 7.4.2, 7.4.5): their
   * refresh cookies and access tokens stop at the next request, and their browsers are no longer
   * known devices (a sign-in from them owes a proof of work again). For an account that may be in
   * the wrong hands; a suspension alone leaves the doctor signed in to read why.
   */
  async endSessions(operator: AuthUser, clinicianId: string): Promise<void> {
    await this.locked(operator, clinicianId, 'session.revoke');
    const ended = await this.clinicians.endSessions(clinicianId);
    if (ended === null) throw new Error('end_clinician_sessions() refused an operator over a clinician it had just found');
    await this.audit.allow({ subjectId: clinicianId, action: 'session.revoke', reason: `every session (${ended} live), by operator ${operator.userId}` });
  }

  /**
   * The patients of the doctor's active consents: a row in each one's trail,
   * and a mail that says only that something changed.
   */
  private async notifyPatients(clinician: ClinicianRow, action: 'clinician.suspend' | 'clinician.reinstate'): Promise<void> {
    const patients = await this.clinicians.patientsOf(clinician.user_id);
    const effect = action === 'clinician.suspend' ? 'suspended: their consents let them read nothing until reinstated' : 'reinstated: their consents work again';
    for (const patient of patients) {
      await this.audit.allow({
        subjectId: patient.patient_id,
        action,
        reason: `doctor ${clinician.user_id} ${effect}`,
      });
      await this.outbox.queue(doctorStandingMail(this.config.portalOrigin, patient.email));
    }
  }

  /** The clinician's row, locked until the decision commits; an id of no clinician is a 404 in the operator's trail. */
  private async locked(operator: AuthUser, clinicianId: string, action: AuditAction): Promise<ClinicianRow> {
    const row = await this.clinicians.lockForDecision(clinicianId);
    if (!row) {
      this.audit.deny({ subjectId: operator.userId, action, reason: `no clinician ${clinicianId}` });
      throw ApiError.notFound('No such clinician');
    }
    return row;
  }

  /**
   * A clinician's name must be in one script and must not look like an
   * approved clinician's name that is not the same (TR39 skeletons): a
   * look-alike is refused with 409 NAME_CONFUSABLE, audited.
   */
  private async assertNameAcceptable(operator: AuthUser, displayName: string, clinicianId: string | null, action: 'clinician.invite' | 'clinician.approve' | 'clinician.reinstate'): Promise<void> {
    const subjectId = clinicianId ?? operator.userId;
    if (isMixedScript(displayName)) {
      this.audit.deny({ subjectId, action, reason: 'the name mixes letters of several scripts' });
      throw new ApiError(409, ERROR_CODES.nameConfusable, 'This name mixes letters of several scripts (such as a Cyrillic “А” among Latin letters): the clinician must write it in one script', [
        { field: 'displayName', message: 'mixes letters of several scripts' },
      ]);
    }
    const skeleton = nameSkeleton(displayName);
    const others = ((await this.approvedLookAlikes([skeleton])).get(skeleton) ?? []).filter((other) => other.id !== clinicianId);
    const confusable = others.filter((other) => normaliseName(other.displayName).toLowerCase() !== displayName.toLowerCase());
    if (confusable.length) {
      const names = confusable.map((other) => `${other.displayName} (${other.organisation})`).join(', ');
      this.audit.deny({ subjectId, action, reason: `the name looks like that of approved clinician(s) ${confusable.map((other) => other.id).join(', ')}` });
      throw new ApiError(409, ERROR_CODES.nameConfusable, `This name looks like that of an approved clinician: ${names}`, [
        { field: 'displayName', message: `looks like ${names}` },
      ]);
    }
  }

  /** Two operators approving two look-alikes at once: the second waits for the first and then sees it. */
  private async lockName(displayName: string): Promise<void> {
    await this.clinicians.lockSkeleton(nameSkeleton(displayName));
  }

  /** Approved clinicians by skeleton, for the skeletons given. */
  private async approvedLookAlikes(skeletons: string[]): Promise<Map<string, LookAlike[]>> {
    const rows = await this.clinicians.approvedWithSkeletons([...new Set(skeletons)]);
    const bySkeleton = new Map<string, LookAlike[]>();
    for (const row of rows) {
      const list = bySkeleton.get(row.name_skeleton) ?? [];
      list.push({ id: row.user_id, displayName: row.display_name, organisation: row.organisation });
      bySkeleton.set(row.name_skeleton, list);
    }
    return bySkeleton;
  }

  private async summaries(ids: string[]): Promise<ClinicianSummary[]> {
    const rows = await this.clinicians.rows(ids);
    const lookAlikes = await this.approvedLookAlikes(rows.map((row) => row.name_skeleton));
    return rows.map((row) => toSummary(row, lookAlikes));
  }

  private async nameOf(operator: AuthUser): Promise<string> {
    const name = await this.clinicians.displayNameOf(operator.userId);
    // The transaction began by checking that the caller's account exists (TransactionInterceptor).
    if (name === null) throw new Error(`No users row for operator ${operator.userId}`);
    return name;
  }
}

function toSummary(row: ClinicianRow, lookAlikes: Map<string, LookAlike[]>): ClinicianSummary {
  return {
    id: row.user_id,
    email: row.email,
    displayName: row.display_name,
    specialty: row.specialty,
    licence: row.licence,
    organisation: row.organisation,
    status: row.status,
    origin: row.origin,
    requestedAt: row.requested_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    decidedBy: row.decided_by_name,
    reason: row.reason,
    nameCheck: {
      mixedScript: isMixedScript(row.display_name),
      looksLike: (lookAlikes.get(row.name_skeleton) ?? []).filter((other) => other.id !== row.user_id),
    },
  };
}
