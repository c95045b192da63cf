/**
 * Who may be a doctor (docs/protocol.md "Clinicians"; issue 19). A doctor's
 * account is vouched for by an operator: invited by one, or registered by the
 * clinician and then approved. Until approved (and while suspended) it is a
 * doctor in name only: absent from search, unable to receive a share or to
 * read under one.
 */
import type { IsoDateTime, Uuid } from './common.js';

export const CLINICIAN_STATUSES = ['pending', 'approved', 'refused', 'suspended'] as const;
export type ClinicianStatus = (typeof CLINICIAN_STATUSES)[number];

/** How the account came to be: the operator's invitation, or the clinician's own request. */
export const CLINICIAN_ORIGINS = ['invitation', 'request'] as const;
export type ClinicianOrigin = (typeof CLINICIAN_ORIGINS)[number];

/** Bounds, trimmed: a licence or registration number, an organisation, an operator's reason. */
export const LICENCE_MAX_LENGTH = 64;
export const ORGANISATION_MAX_LENGTH = 120;
export const CLINICIAN_REASON_MAX_LENGTH = 500;

/** A doctor's standing, as GET /me shows it to the doctor. */
export interface ClinicianStanding {
  status: ClinicianStatus;
  licence: string;
  organisation: string;
  /** The approving operator's display name; null until approved. */
  verifiedBy: string | null;
  verifiedAt: IsoDateTime | null;
  /** The operator's reason for a refusal or a suspension; null otherwise. */
  reason: string | null;
}

/** An approved clinician whose name has the same Unicode TR39 skeleton as another's. */
export interface LookAlike {
  id: Uuid;
  displayName: string;
  organisation: string;
}

/**
 * What the name checks found (docs/protocol.md "Clinicians"): letters from more
 * than one script (a Cyrillic "А" among Latin letters), and approved clinicians
 * (other accounts) whose names look the same once reduced to TR39 skeletons.
 */
export interface NameCheck {
  mixedScript: boolean;
  looksLike: LookAlike[];
}

/** One clinician as operators see them (GET /clinicians and every decision's answer). */
export interface ClinicianSummary {
  id: Uuid;
  email: string;
  displayName: string;
  specialty: string | null;
  licence: string;
  organisation: string;
  status: ClinicianStatus;
  origin: ClinicianOrigin;
  requestedAt: IsoDateTime;
  /** The last decision (approve, refuse, suspend, reinstate): when and by which operator (display name). */
  decidedAt: IsoDateTime | null;
  decidedBy: string | null;
  reason: string | null;
  nameCheck: NameCheck;
}

/** GET /clinicians?status=&cursor=&limit= (oldest request first: a queue). */
export interface ListCliniciansQuery {
  status?: ClinicianStatus;
  cursor?: string;
  limit?: number;
}
export interface ClinicianList {
  items: ClinicianSummary[];
  nextCursor: string | null;
}

/**
 * POST /clinicians/invitations: the operator vouches for a clinician before
 * they have an account. The one-time code goes only to the clinician's mailbox
 * (a link to /register#invitation=…); the answer says until when it is valid.
 */
export interface InviteClinicianRequest {
  email: string;
  displayName: string;
  licence: string;
  organisation: string;
  specialty?: string;
}
export interface ClinicianInvitationSent {
  email: string;
  expiresAt: IsoDateTime;
}

/** POST /clinicians/:id/refuse and /suspend: the reason is required, shown to the clinician. */
export interface ClinicianReasonRequest {
  reason: string;
}
