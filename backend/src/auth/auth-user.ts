import type { Role } from '@phr/shared-types';

/** The caller, as proven by a valid access token. */
export interface AuthUser {
  userId: string;
  role: Role;
}
