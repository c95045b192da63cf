import type { Role } from '@phr/shared-types';

/** Where a role starts: patients at their records, operators at the clinicians they decide on, everyone else at their account. */
export function homeFor(role: Role): string {
  if (role === 'patient') return '/records';
  return role === 'operator' ? '/clinicians' : '/account';
}
