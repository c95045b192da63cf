/**
 * The route table of the API: one entry per route, with its request and
 * response types carried as phantom types. The portal's client calls routes
 * from here; an API test checks this table against the OpenAPI document.
 */
import type {
  ApiTokenIssued,
  ApiTokenList,
  IssueApiTokenRequest,
  ChangePasswordRequest,
  LoginRequest,
  Me,
  PreloginRequest,
  PreloginResponse,
  PublicKeyResponse,
  RecoveryKeysRequest,
  RecoveryKeysResponse,
  RecoveryResetRequest,
  RefreshResponse,
  RegisterInvitedRequest,
  RegisterRequest,
  RegistrationStarted,
  SessionList,
  StartRegistrationRequest,
  SessionResponse,
  UpdateMeRequest,
} from './auth.js';
import type { Consent, ConsentPage, CreateConsentRequest, DoctorList, DoctorSearchRequest, ListConsentsQuery, RewrapConsentRequest, RewrapConsentResult, UpdateConsentRequest } from './consents.js';
import type { ClinicianInvitationSent, ClinicianList, ClinicianReasonRequest, ClinicianSummary, InviteClinicianRequest, ListCliniciansQuery } from './clinicians.js';
import type { RotateKeyPairRequest, RotateKeyPairResult } from './key-pair.js';
import type { AccessSummary, AuditAccounts, AuditAccountsQuery, AuditAccountsSearchRequest, AuditExportQuery, AuditHead, AuditHeadQuery, AuditPage, AuditPeople, AuditPeopleQuery, AuditQuery } from './audit.js';
import type {
  ContactCandidate,
  ContactCandidateRequest,
  NameTrustedContactRequest,
  RewrapTrustedContactRequest,
  TrustedContact,
  TrustedContactList,
  UpdateTrustedContactRequest,
} from './trusted-contacts.js';
import type { AccessReportPage, AccessReportQuery } from './disclosures.js';
import type { FhirAuditEvent, FhirBundle, FhirConsent, FhirSearchQuery } from './fhir.js';
import type { MarkNotificationsReadRequest, NotificationPage, NotificationQuery, NotificationSettings, UnreadNotifications } from './notifications.js';
import type { AccountErasureReceipt, EraseAccountRequest } from './erasure.js';
import type { HealthResponse, LivenessResponse } from './health.js';
import type { ClientState, ClientStateVersion, PutClientStateRequest } from './client-state.js';
import type { FinishKeyRotationRequest, KeyRotationBatchRequest, KeyRotationFinished, KeyRotationState, StartKeyRotationRequest } from './key-rotation.js';
import type { ConsistencyProof, ConsistencyQuery, KeyBindingProof, KeyBindingQuery, KeyLogFrontier, KeyLogFrontierQuery, KeyLogLeaves, KeyLogLeavesQuery, SignedTreeHead } from './key-directory.js';
import type { ProofOfWorkChallenge, ProofOfWorkRequest } from './proof-of-work.js';
import type { ReportSecurityEventRequest } from './security-events.js';
import type { SiemStatus } from './siem.js';
import type {
  AddSecurityKeyRequest,
  LoginResponse,
  RemoveSecurityKeyRequest,
  SecurityKeyOptionsRequest,
  SecurityKey,
  SecurityKeyEnrolment,
  SecurityKeyList,
  WebAuthnLoginRequest,
} from './security-keys.js';
import type { RemoveTotpRequest, TotpCodeRequest, TotpEnrolment, TotpLoginRequest, TotpStatus } from './totp.js';
import type {
  CommitRecordRequest,
  Folder,
  FolderList,
  FolderRequest,
  ListRecordsQuery,
  MoveRecordPreview,
  MoveRecordQuery,
  MoveRecordRequest,
  PresignUploadRequest,
  PresignUploadResponse,
  RecordDetail,
  RecordPage,
  RecordSummary,
  UpdateRecordMetadataRequest,
} from './records.js';
import type {
  BreakGlassRequest,
  ConfigureEmergencyRequest,
  EmergencyAccess,
  EmergencyBreak,
  EmergencyBreakList,
  EmergencyHolderCandidates,
  EmergencyHolderRequest,
  EmergencyReviewQuery,
  EmergencySetup,
  EmergencyShareRequests,
  ReleaseEmergencyShareRequest,
  ReviewEmergencyRequest,
} from './emergency.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route of the contract. `Params` are path parameters, `Query` the query string. */
export interface RouteDef<Body, Response, Params = Record<string, never>, Query = Record<string, never>> {
  readonly method: HttpMethod;
  /** Path relative to API_PREFIX, with `:name` parameters. */
  readonly path: string;
  /** Phantom fields: never present at run time, they carry the types. */
  readonly _types?: { body: Body; response: Response; params: Params; query: Query };
}

function route<Body, Response, Params = Record<string, never>, Query = Record<string, never>>(
  method: HttpMethod,
  path: string,
): RouteDef<Body, Response, Params, Query> {
  return { method, path };
}

type NoBody = undefined;

export const ROUTES = {
  health: route<NoBody, HealthResponse>('GET', '/health'),
  liveness: route<NoBody, LivenessResponse>('GET', '/health/live'),

  prelogin: route<PreloginRequest, PreloginResponse>('POST', '/auth/prelogin'),
  startRegistration: route<StartRegistrationRequest, RegistrationStarted>('POST', '/auth/register/start'),
  register: route<RegisterRequest, SessionResponse>('POST', '/auth/register'),
  registerInvited: route<RegisterInvitedRequest, SessionResponse>('POST', '/auth/register-invited'),
  proofOfWork: route<ProofOfWorkRequest, ProofOfWorkChallenge>('POST', '/auth/proof-of-work'),
  login: route<LoginRequest, LoginResponse>('POST', '/auth/login'),
  loginWebAuthn: route<WebAuthnLoginRequest, SessionResponse>('POST', '/auth/login/webauthn'),
  loginTotp: route<TotpLoginRequest, SessionResponse>('POST', '/auth/login/totp'),
  refresh: route<NoBody, RefreshResponse>('POST', '/auth/refresh'),
  logout: route<NoBody, void>('POST', '/auth/logout'),
  unlock: route<LoginRequest, SessionResponse>('POST', '/auth/unlock'),
  changePassword: route<ChangePasswordRequest, void>('POST', '/auth/password'),
  recoveryKeys: route<RecoveryKeysRequest, RecoveryKeysResponse>('POST', '/auth/recovery/keys'),
  recoveryReset: route<RecoveryResetRequest, SessionResponse>('POST', '/auth/recovery/reset'),

  me: route<NoBody, Me>('GET', '/me'),
  updateMe: route<UpdateMeRequest, Me>('PATCH', '/me'),
  listSessions: route<NoBody, SessionList>('GET', '/sessions'),
  revokeSession: route<NoBody, void, { id: string }>('DELETE', '/sessions/:id'),
  issueApiToken: route<IssueApiTokenRequest, ApiTokenIssued>('POST', '/api-tokens'),
  listApiTokens: route<NoBody, ApiTokenList>('GET', '/api-tokens'),
  revokeApiToken: route<NoBody, void, { id: string }>('DELETE', '/api-tokens/:id'),
  eraseAccount: route<EraseAccountRequest, AccountErasureReceipt>('POST', '/account/erase'),
  securityKeyOptions: route<SecurityKeyOptionsRequest, SecurityKeyEnrolment>('POST', '/account/security-keys/options'),
  addSecurityKey: route<AddSecurityKeyRequest, SecurityKey>('POST', '/account/security-keys'),
  listSecurityKeys: route<NoBody, SecurityKeyList>('GET', '/account/security-keys'),
  removeSecurityKey: route<RemoveSecurityKeyRequest, void, { id: string }>('POST', '/account/security-keys/:id/remove'),
  enrolTotp: route<NoBody, TotpEnrolment>('POST', '/account/totp'),
  confirmTotp: route<TotpCodeRequest, TotpStatus>('POST', '/account/totp/confirm'),
  totpStatus: route<NoBody, TotpStatus>('GET', '/account/totp'),
  removeTotp: route<RemoveTotpRequest, void>('POST', '/account/totp/remove'),
  publicKey: route<NoBody, PublicKeyResponse, { id: string }>('GET', '/users/:id/public-key'),
  clientState: route<NoBody, ClientState>('GET', '/me/client-state'),
  putClientState: route<PutClientStateRequest, ClientStateVersion>('PUT', '/me/client-state'),
  keyRotation: route<NoBody, KeyRotationState>('GET', '/me/account-key/rotation'),
  startKeyRotation: route<StartKeyRotationRequest, KeyRotationState>('POST', '/me/account-key/rotation'),
  keyRotationBatch: route<KeyRotationBatchRequest, KeyRotationState>('PUT', '/me/account-key/rotation/batch'),
  finishKeyRotation: route<FinishKeyRotationRequest, KeyRotationFinished>('POST', '/me/account-key/rotation/finish'),
  rotateKeyPair: route<RotateKeyPairRequest, RotateKeyPairResult>('POST', '/me/key-pair'),

  keyDirectoryHead: route<NoBody, SignedTreeHead>('GET', '/key-directory/head'),
  keyBinding: route<NoBody, KeyBindingProof, { id: string }, KeyBindingQuery>('GET', '/key-directory/bindings/:id'),
  keyLogConsistency: route<NoBody, ConsistencyProof, Record<string, never>, ConsistencyQuery>('GET', '/key-directory/consistency'),
  keyLogLeaves: route<NoBody, KeyLogLeaves, Record<string, never>, KeyLogLeavesQuery>('GET', '/key-directory/leaves'),
  keyLogFrontier: route<NoBody, KeyLogFrontier, Record<string, never>, KeyLogFrontierQuery>('GET', '/key-directory/frontier'),

  presignUpload: route<PresignUploadRequest, PresignUploadResponse>('POST', '/records/presign'),
  commitRecord: route<CommitRecordRequest, RecordSummary>('POST', '/records'),
  listRecords: route<NoBody, RecordPage, Record<string, never>, ListRecordsQuery>('GET', '/records'),
  getRecord: route<NoBody, RecordDetail, { id: string }>('GET', '/records/:id'),
  deleteRecord: route<NoBody, void, { id: string }>('DELETE', '/records/:id'),
  trashRecord: route<NoBody, RecordSummary, { id: string }>('POST', '/records/:id/trash'),
  restoreRecord: route<NoBody, RecordSummary, { id: string }>('POST', '/records/:id/restore'),
  updateRecordMetadata: route<UpdateRecordMetadataRequest, RecordSummary, { id: string }>('PUT', '/records/:id/metadata'),
  moveRecordPreview: route<NoBody, MoveRecordPreview, { id: string }, MoveRecordQuery>('GET', '/records/:id/move-check'),
  moveRecord: route<MoveRecordRequest, RecordSummary, { id: string }>('PUT', '/records/:id/folder'),

  createFolder: route<FolderRequest, Folder>('POST', '/folders'),
  listFolders: route<NoBody, FolderList>('GET', '/folders'),
  renameFolder: route<FolderRequest, Folder, { id: string }>('PATCH', '/folders/:id'),
  deleteFolder: route<NoBody, void, { id: string }>('DELETE', '/folders/:id'),

  searchDoctors: route<DoctorSearchRequest, DoctorList>('POST', '/doctors/search'),
  createConsent: route<CreateConsentRequest, Consent>('POST', '/consents'),
  listConsents: route<NoBody, ConsentPage, Record<string, never>, ListConsentsQuery>('GET', '/consents'),
  updateConsent: route<UpdateConsentRequest, Consent, { id: string }>('PATCH', '/consents/:id'),
  rewrapConsent: route<RewrapConsentRequest, RewrapConsentResult, { id: string }>('PUT', '/consents/:id/wraps'),

  findContactCandidate: route<ContactCandidateRequest, ContactCandidate>('POST', '/trusted-contacts/candidates'),
  nameTrustedContact: route<NameTrustedContactRequest, TrustedContact>('POST', '/trusted-contacts'),
  listTrustedContacts: route<NoBody, TrustedContactList>('GET', '/trusted-contacts'),
  updateTrustedContact: route<UpdateTrustedContactRequest, TrustedContact, { id: string }>('PATCH', '/trusted-contacts/:id'),
  removeTrustedContact: route<NoBody, void, { id: string }>('DELETE', '/trusted-contacts/:id'),
  rewrapTrustedContact: route<RewrapTrustedContactRequest, TrustedContact, { id: string }>('PUT', '/trusted-contacts/:id/wraps'),
  requestContactAccess: route<NoBody, TrustedContact, { id: string }>('POST', '/trusted-contacts/:id/request'),
  refuseContactAccess: route<NoBody, TrustedContact, { id: string }>('POST', '/trusted-contacts/:id/refuse'),
  listContactRecords: route<NoBody, RecordPage, { id: string }>('GET', '/trusted-contacts/:id/records'),
  getContactRecord: route<NoBody, RecordDetail, { id: string; recordId: string }>('GET', '/trusted-contacts/:id/records/:recordId'),

  listClinicians: route<NoBody, ClinicianList, Record<string, never>, ListCliniciansQuery>('GET', '/clinicians'),
  inviteClinician: route<InviteClinicianRequest, ClinicianInvitationSent>('POST', '/clinicians/invitations'),
  approveClinician: route<NoBody, ClinicianSummary, { id: string }>('POST', '/clinicians/:id/approve'),
  refuseClinician: route<ClinicianReasonRequest, ClinicianSummary, { id: string }>('POST', '/clinicians/:id/refuse'),
  suspendClinician: route<ClinicianReasonRequest, ClinicianSummary, { id: string }>('POST', '/clinicians/:id/suspend'),
  reinstateClinician: route<NoBody, ClinicianSummary, { id: string }>('POST', '/clinicians/:id/reinstate'),
  endClinicianSessions: route<NoBody, NoBody, { id: string }>('POST', '/clinicians/:id/end-sessions'),

  listAudit: route<NoBody, AuditPage, Record<string, never>, AuditQuery>('GET', '/audit'),
  exportAudit: route<NoBody, string, Record<string, never>, AuditExportQuery>('GET', '/audit/export'),
  auditHead: route<NoBody, AuditHead, Record<string, never>, AuditHeadQuery>('GET', '/audit/head'),
  auditPeople: route<NoBody, AuditPeople, Record<string, never>, AuditPeopleQuery>('GET', '/audit/people'),
  auditAccounts: route<NoBody, AuditAccounts, Record<string, never>, AuditAccountsQuery>('GET', '/audit/accounts'),
  searchAuditAccounts: route<AuditAccountsSearchRequest, AuditAccounts>('POST', '/audit/accounts/search'),
  accessSummary: route<NoBody, AccessSummary>('GET', '/audit/access-summary'),
  accessReport: route<NoBody, AccessReportPage, Record<string, never>, AccessReportQuery>('GET', '/audit/access-report'),
  fhirAuditEvents: route<NoBody, FhirBundle<FhirAuditEvent>, Record<string, never>, FhirSearchQuery>('GET', '/fhir/AuditEvent'),
  fhirConsents: route<NoBody, FhirBundle<FhirConsent>, Record<string, never>, FhirSearchQuery>('GET', '/fhir/Consent'),
  listNotifications: route<NoBody, NotificationPage, Record<string, never>, NotificationQuery>('GET', '/notifications'),
  unreadNotifications: route<NoBody, UnreadNotifications>('GET', '/notifications/unread'),
  markNotificationsRead: route<MarkNotificationsReadRequest, void>('POST', '/notifications/read'),
  notificationSettings: route<NoBody, NotificationSettings>('GET', '/notifications/settings'),
  updateNotificationSettings: route<NotificationSettings, NotificationSettings>('PUT', '/notifications/settings'),
  emergencySetup: route<NoBody, EmergencySetup>('GET', '/emergency/setup'),
  configureEmergency: route<ConfigureEmergencyRequest, EmergencySetup>('PUT', '/emergency/setup'),
  emergencyHolderCandidates: route<EmergencyHolderRequest, EmergencyHolderCandidates>('POST', '/emergency/holder-candidates'),
  breakGlass: route<BreakGlassRequest, EmergencyBreak>('POST', '/emergency/breaks'),
  listEmergencyBreaks: route<NoBody, EmergencyBreakList>('GET', '/emergency/breaks'),
  emergencyAccess: route<NoBody, EmergencyAccess, { id: string }>('GET', '/emergency/breaks/:id'),
  emergencyRecord: route<NoBody, RecordDetail, { id: string; recordId: string }>('GET', '/emergency/breaks/:id/records/:recordId'),
  emergencyShareRequests: route<NoBody, EmergencyShareRequests>('GET', '/emergency/requests'),
  releaseEmergencyShare: route<ReleaseEmergencyShareRequest, EmergencyBreak, { id: string }>('POST', '/emergency/breaks/:id/shares'),
  emergencyReviews: route<NoBody, EmergencyBreakList, Record<string, never>, EmergencyReviewQuery>('GET', '/emergency/reviews'),
  reviewEmergency: route<ReviewEmergencyRequest, EmergencyBreak, { id: string }>('POST', '/emergency/breaks/:id/review'),
  reportSecurityEvent: route<ReportSecurityEventRequest, void>('POST', '/security-events'),
  siemStatus: route<NoBody, SiemStatus>('GET', '/siem/status'),
} as const;

export type RouteName = keyof typeof ROUTES;
export type BodyOf<R> = R extends RouteDef<infer B, unknown, unknown, unknown> ? B : never;
export type ResponseOf<R> = R extends RouteDef<unknown, infer T, unknown, unknown> ? T : never;
export type ParamsOf<R> = R extends RouteDef<unknown, unknown, infer P, unknown> ? P : never;
export type QueryOf<R> = R extends RouteDef<unknown, unknown, unknown, infer Q> ? Q : never;
