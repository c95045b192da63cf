import type { ClinicianStanding } from '@phr/shared-types';
import type { Db } from '../db/db.service.js';
import { ClinicianEntity } from './clinician.entity.js';

/** A doctor's own standing (RLS shows a doctor only their own row); null for an account that is no doctor. */
export async function standingOf(db: Db, userId: string): Promise<ClinicianStanding | null> {
  const row = await db.manager().getRepository(ClinicianEntity).findOneBy({ userId });
  return row ? toStanding(row) : null;
}

export function toStanding(row: ClinicianEntity): ClinicianStanding {
  return {
    status: row.status,
    licence: row.licence,
    organisation: row.organisation,
    verifiedBy: row.verifiedByName,
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
    reason: row.status === 'refused' || row.status === 'suspended' ? row.reason : null,
  };
}
