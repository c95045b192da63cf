import type { Role } from '@phr/shared-types';

/** The caller, as proven by a valid access token. */
export interface AuthUser {
  userId: string;
  role: Role;
  /** The refresh token family (signed-in browser) the access token belongs to; every access token names one (access-token-claims.ts). */
  sessionId?: string;
  /** An auditor's API token (scope "read"): GET and HEAD only, refused elsewhere by the roles guard. */
  isReadOnly?: boolean;
  /**
   * A session of a role that requires a second factor, signed in without one (scope
   * SECOND_FACTOR_ENROLMENT_SCOPE): the roles guard admits it only to routes marked
   * @ForSecondFactorEnrolment(), and answers 403 SECOND_FACTOR_REQUIRED elsewhere.
   */
  mustEnrolSecondFactor?: boolean;
}
