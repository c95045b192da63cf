/**
 * The operator's step that creates an auditor account (DESIGN 1; issue 5):
 *
 *   DATABASE_MIGRATION_URL=postgres://phr_owner:…@host/phr \
 *     npm run create-auditor -- --email audit@hospital.example --name "Security team"
 *
 * Auditors read every audit trail and nothing else: no records, wraps or keys.
 */
import { runCommandLine } from './invitations.js';

runCommandLine(import.meta.url, 'auditor');
