/**
 * Trusted contacts (issue 16, docs/protocol.md "Trusted contacts"): a patient names other
 * patient accounts who may read their records after a wait, when the patient is unreachable.
 * The patient's browser wraps the file keys in scope for each contact's public key at setup;
 * the server releases those wraps to the contact only once the contact asked and the whole wait
 * passed without the patient's refusal.
 */
import type { Base64Url, IsoDateTime, Uuid } from './common.js';
import type { DoctorWrap } from './consents.js';

/** What a contact may read once released: every record, or the records of one folder. */
export const TRUSTED_CONTACT_SCOPES = ['all', 'folder'] as const;
export type TrustedContactScope = (typeof TRUSTED_CONTACT_SCOPES)[number];

/** The wait between a contact's request and the release, in whole days. */
export const TRUSTED_CONTACT_MIN_WAIT_DAYS = 1;
export const TRUSTED_CONTACT_MAX_WAIT_DAYS = 30;

/**
 * Where a trusted contact stands: `standby` (named, nothing asked), `waiting` (the contact asked;
 * the patient may refuse until releasesAt), `released` (the wait passed: the contact reads).
 */
export const TRUSTED_CONTACT_STATUSES = ['standby', 'waiting', 'released'] as const;
export type TrustedContactStatus = (typeof TRUSTED_CONTACT_STATUSES)[number];

/** GET /trusted-contacts/candidates?email=: a patient account that may be named, with its key. */
export interface ContactCandidateRequest {
  email: string;
}
export interface ContactCandidate {
  id: Uuid;
  displayName: string;
  /** SPKI, base64url: the browser proves it in the key directory and shows its fingerprint before it wraps. */
  publicKey: Base64Url;
  /** SHA-256 of the SPKI, hex, as stored; the portal recomputes it from publicKey. */
  fingerprint: string;
}

/**
 * POST /trusted-contacts. `wraps`: one RSA-OAEP wrap of the file key of every record in scope
 * for the contact's key, label "phr/v1/doctor-wrap|<recordId>|<contactId>|<fingerprint>" (the
 * recipient wrap of DESIGN 4.3), no more.
 */
export interface NameTrustedContactRequest {
  contactId: Uuid;
  /**
   * The contact's email, as it found them (POST /trusted-contacts/candidates): it must name the
   * account `contactId` names, so that only someone who knows the address can name an account
   * and learn its name (ids alone are public, in the key directory).
   */
  email: string;
  scope: TrustedContactScope;
  /** With scope "folder" only. */
  folderId?: Uuid;
  waitDays: number;
  /** Fingerprint (lower-case hex) of the contact key the wraps were made for: must be the contact's current key. */
  fingerprint: string;
  wraps: DoctorWrap[];
}

/** PATCH /trusted-contacts/:id: a new wait (it counts from the request under way, if any). */
export interface UpdateTrustedContactRequest {
  waitDays: number;
}

/** PUT /trusted-contacts/:id/wraps: every wrap in scope re-made for the contact's current key. */
export interface RewrapTrustedContactRequest {
  fingerprint: string;
  wraps: DoctorWrap[];
}

export interface TrustedContact {
  id: Uuid;
  patientId: Uuid;
  patientName: string;
  contactId: Uuid;
  contactName: string;
  scope: TrustedContactScope;
  folderId: Uuid | null;
  waitDays: number;
  status: TrustedContactStatus;
  /** The contact's request under way, or null. */
  requestedAt: IsoDateTime | null;
  /** requestedAt + 24 × waitDays hours (not calendar days): the wraps are released from then unless the patient refuses. */
  releasesAt: IsoDateTime | null;
  /** The patient's last refusal, or null. */
  refusedAt: IsoDateTime | null;
  createdAt: IsoDateTime;
  /** The wraps were made for another key than the contact's current one: the patient re-makes them (PUT /trusted-contacts/:id/wraps). */
  isWrapStale: boolean;
}

/** GET /trusted-contacts: the contacts the caller named, and those who named the caller. */
export interface TrustedContactList {
  items: TrustedContact[];
}

/** A contact a new upload must be wrapped for (POST /records/presign), as CoveringDoctor. */
export interface CoveringContact {
  id: Uuid;
  displayName: string;
  publicKey: Base64Url;
}

/** A contact's wrap sent with a commit into a scope a trusted contact covers. */
export interface CommitContactWrap {
  contactId: Uuid;
  wrap: Base64Url;
}
