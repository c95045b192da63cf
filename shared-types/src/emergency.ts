/**
 * Break-glass for clinicians (issue 16; docs/protocol.md "Break-glass"). The patient's browser
 * makes an emergency RSA-OAEP key pair, wraps the file keys in scope for its public key, seals
 * its private key under a random 256-bit emergency secret and splits that secret k-of-n with
 * Shamir's secret sharing among holders, each share wrapped for the holder's public key. The
 * server stores all of it and can open none of it.
 */
import type { Base64Url, IsoDateTime, Role, Uuid } from './common.js';

/** Over which records clinicians may break the glass. */
export const EMERGENCY_SCOPES = ['off', 'folder', 'all'] as const;
export type EmergencyScope = (typeof EMERGENCY_SCOPES)[number];

/**
 * Reasons a clinician may give, from HL7 v3 ActReason (FHIR `v3-ActReason`):
 * ETREAT emergency treatment, ERTREAT emergency room treatment, BTG break the glass,
 * PATRQT patient requested (the patient asked, unable to open their portal).
 */
export const EMERGENCY_REASON_CODES = ['ETREAT', 'ERTREAT', 'BTG', 'PATRQT'] as const;
export type EmergencyReasonCode = (typeof EMERGENCY_REASON_CODES)[number];

/** The clinician's own words, required with every reason code. */
export const EMERGENCY_REASON_TEXT_MIN_CHARS = 5;
export const EMERGENCY_REASON_TEXT_MAX_CHARS = 500;
/** The time box of one break-glass, in hours: 24 by default. */
export const EMERGENCY_DEFAULT_HOURS = 24;
export const EMERGENCY_MAX_HOURS = 72;
/** At most this many holders. */
export const EMERGENCY_MAX_HOLDERS = 10;
/** The auditor's note on a review. */
export const EMERGENCY_REVIEW_NOTE_MAX_CHARS = 1000;

export const EMERGENCY_REVIEW_OUTCOMES = ['justified', 'not-justified'] as const;
export type EmergencyReviewOutcome = (typeof EMERGENCY_REVIEW_OUTCOMES)[number];

/** One holder's Shamir share as the patient's browser wrapped it. */
export interface EmergencyHolderShare {
  holderId: Uuid;
  /** SHA-256 of the holder's SPKI, hex: the key the share was wrapped for (the browser checked it). */
  fingerprint: string;
  /** RSA-OAEP(holderPublicKey, share), label "phr/v1/emergency-share|<patientId>|<holderId>|<fingerprint>". */
  share: Base64Url;
}

/** RSA-OAEP(emergencyPublicKey, fileKey), label "phr/v1/emergency-wrap|<recordId>|<patientId>|<emergencyFingerprint>". */
export interface EmergencyWrap {
  recordId: Uuid;
  wrap: Base64Url;
}

/** PUT /emergency/setup: the whole setup at once (a new emergency key each time), or scope "off". */
export interface ConfigureEmergencyRequest {
  scope: EmergencyScope;
  /** With scope "folder" only: the emergency folder. */
  folderId?: Uuid;
  /** The emergency public key (SPKI, base64url). Required unless scope is "off". */
  publicKey?: Base64Url;
  /** The emergency private key (PKCS#8) sealed under the emergency secret: a sealed blob. */
  sealedPrivateKey?: Base64Url;
  /** The emergency key's fingerprint sealed under the patient's account key, AAD "phr/v1/emergency-key-check|<patientId>": the uploads' check. */
  keyCheck?: Base64Url;
  /** k: how many holders' shares open the emergency secret (1 to the number of holders). */
  threshold?: number;
  holders?: EmergencyHolderShare[];
  /** One wrap per record in scope, none else. */
  wraps?: EmergencyWrap[];
  /** The time box of a break-glass, hours (1 to EMERGENCY_MAX_HOURS; default EMERGENCY_DEFAULT_HOURS). */
  hours?: number;
}

export interface EmergencyHolder {
  holderId: Uuid;
  displayName: string;
  role: Role;
  fingerprint: string;
}

/** GET/PUT /emergency/setup. */
export interface EmergencySetup {
  scope: EmergencyScope;
  folderId: Uuid | null;
  publicKey: Base64Url | null;
  fingerprint: string | null;
  threshold: number | null;
  hours: number;
  holders: EmergencyHolder[];
  /** Counts up with every new emergency key. */
  generation: number;
  /** A clinician broke the glass on this key: the browser must make a new one (new pair, shares and wraps). */
  needsRekey: boolean;
  updatedAt: IsoDateTime | null;
}

/** POST /emergency/holder-candidates { email } (in the body, never a URL): an existing account that may hold a share. */
export interface EmergencyHolderRequest {
  email: string;
}
export interface EmergencyHolderCandidate {
  id: Uuid;
  displayName: string;
  role: Role;
  /** SPKI, base64url, and its fingerprint as stored; the browser recomputes and proves it. */
  publicKey: Base64Url;
  fingerprint: string;
  /** For a clinician, the organisation an operator vouched for. */
  organisation: string | null;
}
export interface EmergencyHolderCandidates {
  items: EmergencyHolderCandidate[];
}

/** POST /emergency/breaks: an approved clinician breaks the glass. */
export interface BreakGlassRequest {
  /** The patient's account email (the clinician has it from the patient, a card or a relative). */
  patientEmail: string;
  reasonCode: EmergencyReasonCode;
  reasonText: string;
}

export const EMERGENCY_BREAK_STATES = ['waiting', 'open', 'ended'] as const;
/** waiting: fewer than k shares released; open: k or more, in its time box; ended: past it or re-keyed. */
export type EmergencyBreakState = (typeof EMERGENCY_BREAK_STATES)[number];

export interface EmergencyBreak {
  id: Uuid;
  patientId: Uuid;
  patientName: string;
  clinicianId: Uuid;
  clinicianName: string;
  clinicianOrganisation: string | null;
  reasonCode: EmergencyReasonCode;
  reasonText: string;
  scope: EmergencyScope;
  threshold: number;
  sharesReleased: number;
  state: EmergencyBreakState;
  createdAt: IsoDateTime;
  expiresAt: IsoDateTime;
  endedAt: IsoDateTime | null;
  reviewOutcome: EmergencyReviewOutcome | null;
  reviewNote: string | null;
  reviewedAt: IsoDateTime | null;
}
export interface EmergencyBreakList {
  items: EmergencyBreak[];
}

/** GET /emergency/requests: breaks waiting for the caller's share. */
export interface EmergencyShareRequest {
  breakGlass: EmergencyBreak;
  /** The clinician's public key (SPKI) and fingerprint, to re-wrap the share for; the browser proves it in the key directory. */
  clinicianPublicKey: Base64Url;
  clinicianFingerprint: string;
  /** The caller's own share, as the patient wrapped it for them. */
  share: EmergencyHolderShare;
}
export interface EmergencyShareRequests {
  items: EmergencyShareRequest[];
}

/** POST /emergency/breaks/:id/shares: the holder's share, re-wrapped for the clinician. */
export interface ReleaseEmergencyShareRequest {
  /** The clinician's fingerprint the share was wrapped for (must be their current key). */
  fingerprint: string;
  /** RSA-OAEP(clinicianPublicKey, share), label "phr/v1/emergency-release|<breakId>|<clinicianId>|<fingerprint>". */
  share: Base64Url;
}

/** GET /emergency/breaks/:id: the clinician's view; key material only once open. */
export interface EmergencyAccess {
  breakGlass: EmergencyBreak;
  /** The released shares, each wrapped for the clinician. */
  shares: Array<{ holderId: Uuid; share: Base64Url }>;
  /** Once open: the emergency public key and its private key sealed under the emergency secret. */
  publicKey: Base64Url | null;
  sealedPrivateKey: Base64Url | null;
  /** Once open: the records in scope with their emergency wraps and sealed metadata. */
  records: Array<{ recordId: Uuid; wrap: Base64Url; metadata: Base64Url; size: number; createdAt: IsoDateTime }>;
}

/** GET /emergency/reviews (auditors): every break-glass, those not reviewed first. */
export interface EmergencyReviewQuery {
  status?: 'pending' | 'reviewed';
}

/** POST /emergency/breaks/:id/review. */
export interface ReviewEmergencyRequest {
  outcome: EmergencyReviewOutcome;
  note: string;
}
