import { Injectable } from '@nestjs/common';
import type { Role } from '@phr/shared-types';
import { Db } from '../../db/db.service.js';

/** A row of claim_invitation(): what the operator's invitation says of the account it makes. */
export interface ClaimedInvitation {
  role: Role;
  display_name: string;
  specialty: string | null;
  licence: string | null;
  organisation: string | null;
  invited_by: string | null;
  invited_by_name: string | null;
}

/**
 * Redeeming an invitation (`auditor_invitations`) and purging spent ones,
 * through the SECURITY DEFINER functions that are the application role's only
 * way to it (a clinician's enrolment from its invitation is clinicians/'s SQL).
 */
@Injectable()
export class InvitationClaimsRepository {
  constructor(private readonly db: Db) {}

  /** Claims the unused, unexpired invitation of this hash made for this email, or null. */
  async claim(hash: string, email: string): Promise<ClaimedInvitation | null> {
    const [claimed] = await this.db.manager().query<ClaimedInvitation[]>('SELECT * FROM claim_invitation($1, $2)', [hash, email]);
    return claimed ?? null;
  }

  /** Deletes the invitations used or expired before this instant (retention); how many went. */
  async purgeSpent(before: Date): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>('SELECT purge_spent_auditor_invitations($1) AS count', [before]);
    return Number(row.count);
  }
}
