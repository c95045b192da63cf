import type { Role } from '@phr/shared-types';

/** Where a role starts: operators at the clinicians they decide on, everyone else at their account. */
export function homeFor(role: Role): string {
  return role === 'operator' ? '/clinicians' : '/account';
}
