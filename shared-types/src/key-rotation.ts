/**
 * Account-key rotation (docs/protocol.md "Account-key rotation"): the browser
 * makes a new account key, and re-seals under it, in batches, everything the
 * old one sealed that the server holds: owner wraps, folder names, the private
 * key, the recovery wrap and the client state. Each row carries the key
 * generation that sealed it, so the server can count what is left, and a
 * rotation interrupted by a reload resumes where it stopped.
 */
import type { Base64Url, IsoDateTime, Uuid } from './common.js';
import type { PutClientStateRequest } from './client-state.js';
import type { RecoveryMaterial } from './auth.js';

/** At most this many rows (owner wraps and folder names together) in one batch; more is a 413. */
export const KEY_ROTATION_BATCH_MAX = 25;
/** The state lists at most this many rows still under the old key, of each kind. */
export const KEY_ROTATION_NEXT_ROWS = 25;

/** POST /me/account-key/rotation: the new account key, sealed as the password's KEK and the old key's private key are. */
export interface StartKeyRotationRequest {
  /** The auth key of the current password (re-authentication, as for a password change). */
  currentAuthKey: Base64Url;
  /** The NEW account key under the same KEK and KDF parameters (AAD "phr/v1/account-key|<alg>|<iterations>|<salt>"). */
  wrappedAccountKey: Base64Url;
  /** The same private key (PKCS#8) sealed under the NEW account key, AAD "phr/v1/private-key". */
  wrappedPrivateKey: Base64Url;
  /**
   * Fingerprint (SHA-256 of the SPKI, lower-case hex) of the public key that private key belongs
   * to. Must be the account's current key (else 409 KEY_CHANGED): a browser still holding a
   * key pair the account has since replaced would otherwise re-seal the old private key.
   */
  fingerprint: string;
}

/** One owner wrap re-sealed under the new key, AAD "phr/v1/file-key|<recordId>|<ownerId>". */
export interface RotatedOwnerWrap {
  recordId: Uuid;
  wrap: Base64Url;
}

/** One folder name re-sealed under the new key, AAD "phr/v1/folder-name|<ownerId>". */
export interface RotatedFolderName {
  folderId: Uuid;
  name: Base64Url;
}

/** Rows of one kind: how many are sealed under the new key, how many still under the old one. */
export interface RotationCount {
  done: number;
  remaining: number;
}

/** A rotation under way, as GET /me/account-key/rotation shows it. */
export interface KeyRotationUnderWay {
  /** The generation of the new key (the generation in force + 1). */
  generation: number;
  startedAt: IsoDateTime;
  /** Batches accepted so far. */
  batches: number;
  ownerWraps: RotationCount;
  folders: RotationCount;
  /** The next rows still under the old key (at most KEY_ROTATION_NEXT_ROWS of each kind), oldest first. */
  next: { ownerWraps: RotatedOwnerWrap[]; folders: RotatedFolderName[] };
  /**
   * The break-glass key check as stored (the emergency key's fingerprint sealed under the account
   * key, AAD "phr/v1/emergency-key-check|<patientId>"), to be re-sealed under the new key and sent
   * with the finish; null when the account has none (docs/protocol.md "Break-glass").
   */
  emergencyKeyCheck: Base64Url | null;
}

/** GET /me/account-key/rotation (and the answer of start and batch). */
export interface KeyRotationState {
  /** The generation of the account key in force: 1 for an account never rotated. */
  keyGeneration: number;
  rotation: KeyRotationUnderWay | null;
}

/** PUT /me/account-key/rotation/batch: rows re-sealed under the new key; at least one, at most KEY_ROTATION_BATCH_MAX. */
export interface KeyRotationBatchRequest {
  /** Must be the generation of the rotation under way (else 409). */
  generation: number;
  ownerWraps: RotatedOwnerWrap[];
  folders: RotatedFolderName[];
}

/** POST /me/account-key/rotation/finish. */
export interface FinishKeyRotationRequest {
  generation: number;
  /** A NEW recovery code's material for the new key (the old code's KEK is unknown to the browser). */
  recovery: RecoveryMaterial;
  /** The client state re-sealed under the new key, on the version read; required when the account has one stored. */
  clientState?: PutClientStateRequest;
  /** The break-glass key check re-sealed under the new key; required when the account has one stored (KeyRotationUnderWay.emergencyKeyCheck). */
  emergencyKeyCheck?: Base64Url;
}

export interface KeyRotationFinished {
  keyGeneration: number;
}

/** Part of MyKeys at sign-in while a rotation is under way: the new key's wraps, so the browser can resume. */
export interface PendingKeyRotation {
  generation: number;
  /** The new account key under the same KEK as MyKeys.wrappedAccountKey. */
  wrappedAccountKey: Base64Url;
  /** The private key under the new account key. */
  wrappedPrivateKey: Base64Url;
}
