/**
 * A doctor's standing with the operators (docs/protocol.md "Clinicians"), as
 * GET /me reports it. The portal reads it again on every page change and
 * whenever the API refuses a read with CLINICIAN_NOT_VERIFIED (main.tsx), so
 * an approval or a suspension shows without signing in again.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useLocation } from 'react-router-dom';
import { ERROR_CODES, type ClinicianStanding } from '@phr/shared-types';
import { ApiError } from '../../api/api-error.js';
import { accountKeys } from '../../api/auth.js';
import { useSession } from '../auth/session.js';

/** True for the answers that mean the doctor's standing changed under them. */
export function isStandingRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.code === ERROR_CODES.clinicianNotVerified;
}

/** Keeps the session's account (and so its `clinician` standing) as the API now describes it; doctors only. */
export function useFreshStanding(): ClinicianStanding | null {
  const { user, api, userChanged } = useSession();
  const { pathname } = useLocation();
  const isDoctor = user?.role === 'doctor';
  const me = useQuery({ queryKey: accountKeys.standing(), enabled: isDoctor, queryFn: () => api.me() });
  const { refetch } = me;
  useEffect(() => {
    if (isDoctor) void refetch({ cancelRefetch: false });
  }, [isDoctor, pathname, refetch]);
  const fresh = me.data;
  useEffect(() => {
    if (fresh && JSON.stringify(fresh.clinician) !== JSON.stringify(user?.clinician)) userChanged(fresh);
  }, [fresh, user?.clinician, userChanged]);
  return user?.clinician ?? null;
}

/** "Verified by Jordan Lee on 3 Dec 2026". */
export function verifiedText(verifiedBy: string | null, verifiedAt: string | null): string {
  if (!verifiedBy) return 'Not verified';
  return `Verified by ${verifiedBy}${verifiedAt ? ` on ${new Date(verifiedAt).toLocaleDateString()}` : ''}`;
}
