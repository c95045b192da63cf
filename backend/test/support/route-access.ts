/**
 * Who may call each route of the contract. The route-access suite checks the
 * running API against this table, and fails when a route is missing from it.
 */
import { randomUUID } from 'node:crypto';
import type { Role, RouteName } from '@phr/shared-types';
import { randomKey, sealedBlob } from './factories.js';

export type Access = 'public' | readonly Role[];

export const ROUTE_ACCESS: Record<RouteName, Access> = {
  health: 'public',
  liveness: 'public',
  prelogin: 'public',
  startRegistration: 'public',
  register: 'public',
  registerInvited: 'public',
  proofOfWork: 'public',
  login: 'public',
  loginWebAuthn: 'public',
  loginTotp: 'public',
  refresh: 'public',
  unlock: 'public',
  logout: 'public',
  recoveryKeys: 'public',
  recoveryReset: 'public',
  changePassword: ['patient', 'doctor', 'auditor', 'operator'],
  me: ['patient', 'doctor', 'auditor', 'operator'],
  updateMe: ['patient', 'doctor', 'auditor', 'operator'],
  listSessions: ['patient', 'doctor', 'auditor', 'operator'],
  revokeSession: ['patient', 'doctor', 'auditor', 'operator'],
  // The security team's read-only tokens for Swagger UI and scripts (docs/protocol.md "API tokens").
  issueApiToken: ['auditor'],
  listApiTokens: ['auditor'],
  revokeApiToken: ['auditor'],
  // Auditors and operators are staff accounts the operator creates and retires (docs/erasure.md).
  eraseAccount: ['patient', 'doctor'],
  // Every account signs in, so every account may guard its sign-in with a security key.
  securityKeyOptions: ['patient', 'doctor', 'auditor', 'operator'],
  addSecurityKey: ['patient', 'doctor', 'auditor', 'operator'],
  listSecurityKeys: ['patient', 'doctor', 'auditor', 'operator'],
  removeSecurityKey: ['patient', 'doctor', 'auditor', 'operator'],
  // So may every account use an authenticator app instead (ASVS 6.3.2).
  enrolTotp: ['patient', 'doctor', 'auditor', 'operator'],
  confirmTotp: ['patient', 'doctor', 'auditor', 'operator'],
  totpStatus: ['patient', 'doctor', 'auditor', 'operator'],
  removeTotp: ['patient', 'doctor', 'auditor', 'operator'],
  // Auditors read metadata only, operators vouch for clinicians: neither has business with keys (DESIGN 1).
  publicKey: ['patient', 'doctor'],
  // Records and folders belong to patients; doctors only read, through consents.
  presignUpload: ['patient'],
  commitRecord: ['patient'],
  listRecords: ['patient', 'doctor'],
  getRecord: ['patient', 'doctor'],
  deleteRecord: ['patient'],
  trashRecord: ['patient'],
  restoreRecord: ['patient'],
  updateRecordMetadata: ['patient'],
  moveRecordPreview: ['patient'],
  moveRecord: ['patient'],
  createFolder: ['patient'],
  listFolders: ['patient'],
  renameFolder: ['patient'],
  deleteFolder: ['patient'],
  searchDoctors: ['patient'],
  createConsent: ['patient'],
  listConsents: ['patient', 'doctor'],
  updateConsent: ['patient'],
  rewrapConsent: ['patient'],
  listAudit: ['patient', 'doctor', 'auditor', 'operator'],
  exportAudit: ['patient', 'doctor', 'auditor', 'operator'],
  auditHead: ['patient', 'doctor', 'auditor', 'operator'],
  // Every account has a sealed client state of its own (docs/protocol.md "Client state").
  clientState: ['patient', 'doctor', 'auditor', 'operator'],
  putClientState: ['patient', 'doctor', 'auditor', 'operator'],
  // Account-key rotation (docs/protocol.md): the accounts whose key seals something, as erasure; auditors hold no records.
  keyRotation: ['patient', 'doctor'],
  startKeyRotation: ['patient', 'doctor'],
  keyRotationBatch: ['patient', 'doctor'],
  finishKeyRotation: ['patient', 'doctor'],
  rotateKeyPair: ['patient', 'doctor', 'auditor', 'operator'],
  // The key directory is public to every signed-in account: anyone may check a key and monitor the log.
  keyDirectoryHead: ['patient', 'doctor', 'auditor', 'operator'],
  keyBinding: ['patient', 'doctor', 'auditor', 'operator'],
  keyLogConsistency: ['patient', 'doctor', 'auditor', 'operator'],
  keyLogLeaves: ['patient', 'doctor', 'auditor', 'operator'],
  keyLogFrontier: ['patient', 'doctor', 'auditor', 'operator'],
  // Every account's browser checks its own key and trail; a report lands only in the caller's own trail.
  reportSecurityEvent: ['patient', 'doctor', 'auditor', 'operator'],
  auditPeople: ['patient', 'doctor', 'auditor', 'operator'],
  auditAccounts: ['auditor'],
  searchAuditAccounts: ['auditor'],
  // Who else opened a patient's records: the patient's own summary.
  accessSummary: ['patient'],
  // The accounting of disclosures is the patient's own; the FHIR exports are every account's own trail (an auditor's: any).
  accessReport: ['patient'],
  fhirAuditEvents: ['patient', 'doctor', 'auditor', 'operator'],
  fhirConsents: ['patient', 'doctor', 'auditor', 'operator'],
  // Notifications come from the account's own trail: the people whose data it is, and doctors.
  listNotifications: ['patient', 'doctor'],
  unreadNotifications: ['patient', 'doctor'],
  markNotificationsRead: ['patient', 'doctor'],
  notificationSettings: ['patient', 'doctor'],
  updateNotificationSettings: ['patient', 'doctor'],
  // Trusted contacts are patient accounts on both sides (docs/protocol.md "Trusted contacts").
  findContactCandidate: ['patient'],
  nameTrustedContact: ['patient'],
  listTrustedContacts: ['patient'],
  updateTrustedContact: ['patient'],
  removeTrustedContact: ['patient'],
  rewrapTrustedContact: ['patient'],
  requestContactAccess: ['patient'],
  refuseContactAccess: ['patient'],
  listContactRecords: ['patient'],
  getContactRecord: ['patient'],
  // Who may be a doctor is the operators' business only (docs/protocol.md "Clinicians").
  listClinicians: ['operator'],
  inviteClinician: ['operator'],
  approveClinician: ['operator'],
  refuseClinician: ['operator'],
  suspendClinician: ['operator'],
  reinstateClinician: ['operator'],
  endClinicianSessions: ['operator'],
  siemStatus: ['operator'],
  // Break-glass (docs/protocol.md "Break-glass"): patients set it up, approved clinicians break it, holders (patients or doctors) release shares, auditors review.
  emergencySetup: ['patient'],
  configureEmergency: ['patient'],
  emergencyHolderCandidates: ['patient'],
  breakGlass: ['doctor'],
  listEmergencyBreaks: ['patient', 'doctor'],
  emergencyAccess: ['doctor'],
  emergencyRecord: ['doctor'],
  emergencyShareRequests: ['patient', 'doctor'],
  releaseEmergencyShare: ['patient', 'doctor'],
  emergencyReviews: ['auditor'],
  reviewEmergency: ['auditor'],
};

/** The rows of one patient that a stranger might name by id. */
export interface OwnedIds {
  userId: string;
  recordId: string;
  folderId: string;
  consentId: string;
  /** The family id of the owner's sign-in session. */
  sessionId: string;
  /** One of the owner's enrolled security keys. */
  securityKeyId: string;
  /** A trusted contact the owner named. */
  trustedContactId: string;
}

/** A call a stranger patient makes with the owner's real id, and the answer it must get. */
export interface StrangerCall {
  names: keyof OwnedIds;
  body?: () => unknown;
  /** 'not found': the same 404 as an id that names nothing, so the call tells nothing; 'forbidden': the role may not use the route at all. */
  answer: 'not found' | 'allowed' | 'forbidden';
  /** Path parameters besides `id` (a record id under a trusted contact). */
  params?: () => Record<string, string>;
}

/**
 * Every route that takes an id in its path, called by a patient who does not own it. The
 * route-access suite fails when a route with a path parameter is missing here.
 */
export const STRANGER_CALLS: Partial<Record<RouteName, StrangerCall>> = {
  // Public keys are there to be fetched by anyone signed in who wraps a file key for them.
  publicKey: { names: 'userId', answer: 'allowed' },
  // So is an account's binding in the key directory, with its proof.
  keyBinding: { names: 'userId', answer: 'allowed' },
  getRecord: { names: 'recordId', answer: 'not found' },
  deleteRecord: { names: 'recordId', answer: 'not found' },
  trashRecord: { names: 'recordId', answer: 'not found' },
  restoreRecord: { names: 'recordId', answer: 'not found' },
  updateRecordMetadata: { names: 'recordId', body: () => ({ metadata: sealedBlob(60) }), answer: 'not found' },
  moveRecordPreview: { names: 'recordId', answer: 'not found' },
  moveRecord: { names: 'recordId', body: () => ({ folderId: null }), answer: 'not found' },
  renameFolder: { names: 'folderId', body: () => ({ name: sealedBlob(20) }), answer: 'not found' },
  deleteFolder: { names: 'folderId', answer: 'not found' },
  updateConsent: { names: 'consentId', body: () => ({ status: 'revoked' }), answer: 'not found' },
  rewrapConsent: { names: 'consentId', body: () => ({ fingerprint: 'a'.repeat(64), wraps: [{ recordId: randomUUID(), wrap: randomKey(384) }] }), answer: 'not found' },
  revokeSession: { names: 'sessionId', answer: 'not found' },
  // API tokens are the auditors' only: a patient naming any session gets the role's 403.
  revokeApiToken: { names: 'sessionId', answer: 'forbidden' },
  removeSecurityKey: { names: 'securityKeyId', body: () => ({ currentAuthKey: randomKey() }), answer: 'not found' },
  updateTrustedContact: { names: 'trustedContactId', body: () => ({ waitDays: 2 }), answer: 'not found' },
  removeTrustedContact: { names: 'trustedContactId', answer: 'not found' },
  rewrapTrustedContact: { names: 'trustedContactId', body: () => ({ fingerprint: 'a'.repeat(64), wraps: [] }), answer: 'not found' },
  requestContactAccess: { names: 'trustedContactId', answer: 'not found' },
  refuseContactAccess: { names: 'trustedContactId', answer: 'not found' },
  listContactRecords: { names: 'trustedContactId', answer: 'not found' },
  getContactRecord: { names: 'trustedContactId', params: () => ({ recordId: randomUUID() }), answer: 'not found' },
  // Decisions on clinicians are the operators' only: a patient naming any account gets the role's 403.
  approveClinician: { names: 'userId', answer: 'forbidden' },
  refuseClinician: { names: 'userId', body: () => ({ reason: 'stranger' }), answer: 'forbidden' },
  suspendClinician: { names: 'userId', body: () => ({ reason: 'stranger' }), answer: 'forbidden' },
  reinstateClinician: { names: 'userId', answer: 'forbidden' },
  endClinicianSessions: { names: 'userId', answer: 'forbidden' },
  // A break-glass is a clinician's (read) or an auditor's (review); a patient naming any id gets the role's 403, and a release by a non-holder the 404.
  emergencyAccess: { names: 'recordId', answer: 'forbidden' },
  emergencyRecord: { names: 'recordId', answer: 'forbidden' },
  releaseEmergencyShare: { names: 'recordId', body: () => ({ fingerprint: 'a'.repeat(64), share: randomKey(384) }), answer: 'not found' },
  reviewEmergency: { names: 'recordId', body: () => ({ outcome: 'justified', note: 'stranger' }), answer: 'forbidden' },
};
