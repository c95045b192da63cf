/** Consent and sharing (DESIGN 4.3, 5, 6). */
import type { ClinicianStatus } from './clinicians.js';
import type { Base64Url, IsoDateTime, Uuid } from './common.js';

export const CONSENT_SCOPES = ['record', 'folder', 'all'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

/** Stored status; an active consent past its expiry counts as expired at every check. */
export const CONSENT_STATUSES = ['active', 'revoked', 'expired'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** Bytes of an RSA-OAEP (3072-bit) wrap of a file key. */
export const DOCTOR_WRAP_BYTES = 384;

/**
 * POST /doctors/search: the fragment travels in the body, never in the URL,
 * where it would land in access logs, proxies and history (ASVS 5.0 V14).
 */
export interface DoctorSearchRequest {
  q: string;
}
export interface DoctorSummary {
  id: Uuid;
  displayName: string;
  specialty: string | null;
  /** SPKI, base64url: the key the patient's browser wraps file keys for. */
  publicKey: Base64Url;
  /** SHA-256 of the SPKI, hex, as stored; the portal recomputes it from publicKey. */
  fingerprint: string;
  /** The organisation the operator vouched for, and who vouched (docs/protocol.md "Clinicians"). */
  organisation: string;
  verifiedBy: string;
  verifiedAt: IsoDateTime;
  /**
   * Another approved clinician's name has the same Unicode TR39 skeleton (it
   * looks the same, or is the same): tell them apart by organisation and fingerprint.
   */
  looksLikeAnother: boolean;
}
export interface DoctorList {
  items: DoctorSummary[];
}

/** RSA-OAEP(doctorPublicKey, fileKey), label "phr/v1/doctor-wrap|<recordId>|<doctorId>|<fingerprint>". */
export interface DoctorWrap {
  recordId: Uuid;
  wrap: Base64Url;
}

/**
 * A folder's name sealed for the doctor of a folder-scoped consent (docs/protocol.md "Consents",
 * "Folder labels"): a fresh AES-256-GCM key seals the UTF-8 name, that key is wrapped with the
 * doctor's RSA-OAEP public key. The server stores it and learns only its length.
 */
export interface SealedFolderLabel {
  /** RSA-OAEP(doctorPublicKey, labelKey), label "phr/v1/folder-label-key|<folderId>|<doctorId>|<fingerprint>": DOCTOR_WRAP_BYTES bytes. */
  wrap: Base64Url;
  /** The sealed blob of the UTF-8 name under labelKey, AAD "phr/v1/folder-label|<folderId>|<doctorId>": 40 to MAX_FOLDER_LABEL_NAME_CHARS characters. */
  name: Base64Url;
}

/** The longest sealed name of a folder label, in base64url characters (as a sealed folder name). */
export const MAX_FOLDER_LABEL_NAME_CHARS = 2048;

/** POST /consents */
export interface CreateConsentRequest {
  doctorId: Uuid;
  scope: ConsentScope;
  recordId?: Uuid;
  folderId?: Uuid;
  expiresAt?: IsoDateTime;
  purpose?: string;
  /** One wrap for every record in scope, no more. */
  wraps: DoctorWrap[];
  /**
   * The fingerprint (hex) of the doctor key the wraps were made for. When
   * given, it must be the doctor's current key (409 KEY_CHANGED otherwise), so
   * a key-pair rotation between the look-up and the grant cannot leave wraps
   * recorded for a key they were not made for (docs/protocol.md "Key-pair rotation").
   */
  fingerprint?: string;
  /** With scope "folder" only: the folder's name sealed for the doctor. Optional (older portals send none). */
  folderLabel?: SealedFolderLabel;
}

export interface Consent {
  id: Uuid;
  patientId: Uuid;
  patientName: string;
  doctorId: Uuid;
  doctorName: string;
  scope: ConsentScope;
  recordId: Uuid | null;
  folderId: Uuid | null;
  purpose: string | null;
  /** A folder-scoped consent's folder name sealed for the doctor, or null (none was sent). Only the doctor's private key opens it. */
  folderLabel: SealedFolderLabel | null;
  expiresAt: IsoDateTime | null;
  status: ConsentStatus;
  createdAt: IsoDateTime;
  revokedAt: IsoDateTime | null;
  /**
   * Wraps of records in this consent's scope made for a key the doctor has
   * since replaced (docs/protocol.md "Key-pair rotation"): the doctor cannot
   * open them until the patient's browser re-makes them (PUT /consents/:id/wraps).
   */
  staleWraps: number;
  /**
   * The doctor's standing with the operators: while it is not approved
   * (suspended), the consent stays but lets the doctor read nothing.
   */
  doctorStatus: ClinicianStatus;
}

/**
 * GET /consents?status=&cursor=&limit=: the caller's consents, newest first, one page at a time
 * (docs/protocol.md "Consents"). Each page files one consent.list row in the trail of each
 * patient on it, so what a request costs follows the page, never the whole list.
 */
export interface ListConsentsQuery {
  status?: ConsentStatus;
  /** nextCursor of the previous page. */
  cursor?: string;
  /** 1 to 100; 50 when absent. */
  limit?: number;
}
export interface ConsentPage {
  items: Consent[];
  /** The cursor of the next page, or null when this page is the last. */
  nextCursor: string | null;
}

/** Wraps re-made in one request at most (PUT /consents/:id/wraps). */
export const MAX_REWRAPS_PER_REQUEST = 100;

/** PUT /consents/:id/wraps: the doctor's wraps re-made for the doctor's current key. */
export interface RewrapConsentRequest {
  /** The fingerprint (hex) of the key the wraps were made for, as in their labels: must be the doctor's current key. */
  fingerprint: string;
  /** One to MAX_REWRAPS_PER_REQUEST wraps, each of a record in the consent's scope, each record once. */
  wraps: DoctorWrap[];
  /** A folder-scoped consent's folder label sealed again for the doctor's current key; replaces the stored one. */
  folderLabel?: SealedFolderLabel;
}
export interface RewrapConsentResult {
  replaced: number;
  /** Wraps in the consent's scope still made for another key than the doctor's current one. */
  staleWraps: number;
}

/** PATCH /consents/:id */
export interface UpdateConsentRequest {
  status: 'revoked';
}

/** A doctor's wrap sent with a commit into a scope an active consent covers. */
export interface CommitDoctorWrap {
  doctorId: Uuid;
  wrap: Base64Url;
}
