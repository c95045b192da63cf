/**
 * The operator's step that creates an operator account (issue 19):
 *
 *   DATABASE_MIGRATION_URL=postgres://phr_owner:…@host/phr \
 *     npm run create-operator -- --email credentialing@hospital.example --name "St Mary's credentialing office"
 *
 * Operators vouch for clinicians (invite, approve, refuse, suspend, reinstate;
 * docs/protocol.md "Clinicians"); their display name is the "verified by" that
 * patients see. They read no records, wraps or keys.
 */
import { runCommandLine } from './invitations.js';

runCommandLine(import.meta.url, 'operator');
