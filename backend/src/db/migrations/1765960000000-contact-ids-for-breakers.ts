import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * patient_trusted_contact_ids() is a definer function so that a clinician who breaks the glass can
 * tell the patient's trusted contacts (BreakGlassService.notifyBreakGlass). As first written it
 * answered any caller of the application role, so any signed-in account could learn whom a patient
 * trusts. It now answers the patient and a clinician who has broken the glass on that patient,
 * the same rule as emergency_holders_of().
 */
export class ContactIdsForBreakers1765960000000 implements MigrationInterface {
  name = 'ContactIdsForBreakers1765960000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION patient_trusted_contact_ids(p_patient uuid) RETURNS TABLE (contact_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT c.contact_id FROM trusted_contacts c
            WHERE c.patient_id = p_patient
              AND (p_patient = app_user_id()
                   OR EXISTS (SELECT 1 FROM emergency_breaks b WHERE b.patient_id = p_patient AND b.clinician_id = app_user_id()))
            ORDER BY c.contact_id $$;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION patient_trusted_contact_ids(p_patient uuid) RETURNS TABLE (contact_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT c.contact_id FROM trusted_contacts c WHERE c.patient_id = p_patient ORDER BY c.contact_id $$;
    `);
  }
}
