import type { ClinicianStanding } from '@phr/shared-types';
import type { CliniciansRepository, StandingRow } from './clinicians.repository.js';

/** A doctor's own standing (RLS shows a doctor only their own row); null for an account that is no doctor. */
export async function standingOf(clinicians: CliniciansRepository, userId: string): Promise<ClinicianStanding | null> {
  const row = await clinicians.standing(userId);
  return row ? toStanding(row) : null;
}

export function toStanding(row: StandingRow): ClinicianStanding {
  return {
    status: row.status,
    licence: row.licence,
    organisation: row.organisation,
    verifiedBy: row.verified_by_name,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    reason: row.status === 'refused' || row.status === 'suspended' ? row.reason : null,
  };
}
