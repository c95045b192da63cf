/** Shapes shared by every area of the API. */

/** Base64url without padding (RFC 4648 section 5). Binary values travel in JSON this way. */
export type Base64Url = string;

/** ISO-8601 timestamp in UTC, e.g. 2026-11-24T10:00:00.000Z. */
export type IsoDateTime = string;

export type Uuid = string;

/** Operators vouch for clinicians (docs/protocol.md "Clinicians"); like auditors they are made by the operator's command-line step. */
export const ROLES = ['patient', 'doctor', 'auditor', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that may register themselves; auditors and operators are invited (DESIGN 1), and a doctor who registers waits for an operator's approval. */
export const SELF_REGISTERING_ROLES = ['patient', 'doctor'] as const;
export type SelfRegisteringRole = (typeof SELF_REGISTERING_ROLES)[number];

/** One bad field in a 400 answer. */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error answer. `code` is stable; `message` is for people. */
export interface ErrorResponse {
  statusCode: number;
  code: string;
  message: string;
  requestId: string;
  fields?: FieldError[];
  /** With 410 ACCESS_ENDED: whose consent ended, how and when (only to the doctor it was granted to). */
  accessEnded?: AccessEnded;
}

/**
 * Why a doctor can no longer open a record they could once read: the patient
 * withdrew the consent (`revoked`) or it ran out (`expired`), with the patient's
 * display name and the moment it ended (docs/protocol.md "Reads after a consent ended").
 */
export interface AccessEnded {
  reason: 'revoked' | 'expired';
  patientName: string;
  endedAt: IsoDateTime;
}

/** Stable error codes. */
export const ERROR_CODES = {
  validation: 'VALIDATION_FAILED',
  unauthenticated: 'UNAUTHENTICATED',
  invalidCredentials: 'INVALID_CREDENTIALS',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  tooManyRequests: 'TOO_MANY_REQUESTS',
  /** Sign-in or recovery from a client the account does not know, after repeated failures: solve a challenge of POST /auth/proof-of-work and send its answer. */
  proofOfWorkRequired: 'PROOF_OF_WORK_REQUIRED',
  refreshReused: 'REFRESH_TOKEN_REUSED',
  recordTooLarge: 'RECORD_TOO_LARGE',
  uploadIncomplete: 'UPLOAD_INCOMPLETE',
  alreadyCommitted: 'ALREADY_COMMITTED',
  folderNotEmpty: 'FOLDER_NOT_EMPTY',
  /** The record is in the trash: restore it before changing it (or, to trash it, it already is). */
  recordInTrash: 'RECORD_IN_TRASH',
  /** A restore of a record that is not in the trash. */
  recordNotInTrash: 'RECORD_NOT_IN_TRASH',
  /** A doctor's read of a record whose consent was revoked or expired (410, with `accessEnded`). */
  accessEnded: 'ACCESS_ENDED',
  wrapsMismatch: 'WRAPS_MISMATCH',
  doctorWrapMissing: 'DOCTOR_WRAP_MISSING',
  contactWrapMissing: 'CONTACT_WRAP_MISSING',
  contactNotReleased: 'CONTACT_NOT_RELEASED',
  consentNotActive: 'CONSENT_NOT_ACTIVE',
  /** An account-key rotation is under way (or not, or another generation): a write sealed under the wrong key is refused. */
  keyRotation: 'KEY_ROTATION',
  /** A doctor's wrap of this record was made for a key the doctor has since replaced: the patient must re-share it. */
  wrapStale: 'WRAP_STALE',
  /** A re-wrap names another key than the doctor's current one (docs/protocol.md "Key-pair rotation"). */
  keyChanged: 'KEY_CHANGED',
  /** A doctor whose account no operator has approved, or whose approval is suspended: no share can be received or read. */
  clinicianNotVerified: 'CLINICIAN_NOT_VERIFIED',
  /** A clinician's name looks like (same TR39 skeleton as) an approved clinician's name that is not the same. */
  nameConfusable: 'NAME_CONFUSABLE',
  /** An operator's decision that does not apply to the clinician's standing (approve an approved one, reinstate one not suspended). */
  clinicianState: 'CLINICIAN_STATE',
  /** The patient has not allowed break-glass (or not over this record). */
  emergencyOff: 'EMERGENCY_OFF',
  /** The break-glass time box is over, or the patient re-keyed (410). */
  emergencyEnded: 'EMERGENCY_ENDED',
  /** Fewer than k holders have released their share yet. */
  emergencyWaiting: 'EMERGENCY_WAITING',
  /** Break-glass reaches where this record goes: the commit must carry its emergency wrap. */
  emergencyWrapMissing: 'EMERGENCY_WRAP_MISSING',
  /** This holder already released their share for this break-glass. */
  emergencyShareReleased: 'EMERGENCY_SHARE_RELEASED',
  /** A session of a role that requires a second factor, signed in without one: it may only enrol one (403). */
  secondFactorRequired: 'SECOND_FACTOR_REQUIRED',
  serviceUnavailable: 'SERVICE_UNAVAILABLE',
  internal: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
