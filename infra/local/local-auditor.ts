/**
 * The security team's first step on a local start (issue 15): an auditor account, which only
 * `create-auditor` can invite. The terminal prints that command ready to paste, with this start's
 * database owner URL (PostgreSQL on 127.0.0.1, its password from the data folder's secrets.json,
 * which the same user can read), so nobody has to work the URL out.
 */
export const LOCAL_AUDITOR_EMAIL = 'auditor@example.org';

/** Single-quoted for a POSIX shell. */
function shellQuoted(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command that invites an auditor into this start's database. */
export function localAuditorCommand(ownerUrl: string): string {
  return `DATABASE_MIGRATION_URL=${shellQuoted(ownerUrl)} npm run create-auditor -- --email ${LOCAL_AUDITOR_EMAIL} --name ${shellQuoted('Security team')}`;
}

/** The lines to print: what the command does, then the command on its own line. */
export function localAuditorLines(ownerUrl: string): string {
  return `  Auditor:     invite one (prints a code for the portal's /register?invitation=<code>; the auditor's "API access" page then gives Swagger UI a token):\n    ${localAuditorCommand(ownerUrl)}`;
}
