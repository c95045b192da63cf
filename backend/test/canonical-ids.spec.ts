/**
 * Ids are case-insensitive on the wire (RFC 9562: a UUID in upper case names
 * the same thing) but enter audit hashes, comparisons and answers in one form,
 * lower case, as PostgreSQL stores them (DESIGN 7). An id that was hashed as
 * received broke the owner's chain for good from that row on (issue 12).
 *
 * Every route of the contract and every field of it that holds an id (from
 * the OpenAPI document the DTOs generate) is called twice on two worlds built
 * alike: once with the ids in lower case, once in upper case. The answers, and
 * the audit rows each call adds, must be the same, and every chain in the
 * database must verify end to end. A new id-taking route or field without a
 * case here fails the first test.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { API_PREFIX, DOCTOR_WRAP_BYTES, firstBrokenAuditRow, ROUTES, type AuditEvent, type AuditPage, type AuditQuery, type CreateConsentRequest, type RouteName } from '@phr/shared-types';
import { buildOpenApiDocument } from '../src/common/swagger.js';
import { auditRowsOf, type AuditRow } from './support/audit.js';
import { firstBrokenRow, sha256Hex } from './support/audit-chain.js';
import { decideOnClinician, fingerprintOf, insertAuditor, operatorOf, registerUnverifiedDoctor, registerUser, sealedBlob, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient, type RouteResult } from './support/http.js';
import type { AnyRoute, SendArgs } from '@phr/api-client';
import { commitRequest, presign, putSegments, segmentBodies, uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { sessionIdOf, sessionTokenFor } from './support/tokens.js';
import { enrolSecurityKey, SoftAuthenticator } from './support/webauthn.js';

type Casing = (id: string) => string;
const lower: Casing = (id) => id.toLowerCase();
const upper: Casing = (id) => id.toUpperCase();

/** One patient's rows, made afresh for each call so that the two calls of a case start alike. */
interface World {
  owner: RegisteredUser;
  /** Another patient (the same one in every world), who knows the owner's ids. */
  stranger: RegisteredUser;
  folderId: string;
  recordId: string;
  /** Consent of the shared doctor over `recordId`. */
  consentId: string;
  /** Consent of the shared doctor over `folderId` (commits into it need the doctor's wrap). */
  folderConsentId: string;
  /** An upload reserved and stored, not yet committed. */
  uploadId: string;
  /** A record in the folder that no consent covers yet. */
  unsharedRecordId: string;
  sessionId: string;
  securityKeyId: string;
  /** A doctor of this world in the operators' hands (a random id unless the case needs one). */
  clinicianId: string;
  /** Its name, in lower case so that answers name it as they name ids; one per world, or names would look alike. */
  clinicianName: string;
  /** The owner's trusted contact over `folderId`, released (the stranger and a random id unless the case needs one). */
  contact: RegisteredUser;
  trustedContactId: string;
}

/** The standing a case needs its world's clinician in. */
type ClinicianNeed = 'pending' | 'approved' | 'suspended';

/** One call of a case, typed by its route; made by `sendOf`. */
type Call = (client: TestClient) => Promise<RouteResult<unknown>>;

function sendOf<R extends AnyRoute>(route: R, ...args: SendArgs<R>): Call {
  return (client) => client.send(route, ...args);
}

interface IdCase {
  route: RouteName;
  /** `path:id`, `query:subjectId`, `body:recordId`, `body:wraps[].recordId`: where the id goes. */
  field: string;
  /** Who calls, when the same field is worth calling as more than one role. */
  as?: string;
  clinician?: ClinicianNeed;
  call(world: World, cased: Casing): Call;
}

const wrap = () => randomBytes(DOCTOR_WRAP_BYTES).toString('base64url');

describe('ids in upper case are the same ids: same answers, same audit rows, unbroken chains', () => {
  let api: TestApp;
  let http: TestClient;
  let document: OpenAPIObject;
  let doctor: RegisteredUser;
  let stranger: RegisteredUser;
  let auditorId: string;
  let auditorToken: string;
  let operator: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp();
    http = testClient(api.baseUrl);
    document = buildOpenApiDocument(api.app);
    doctor = await registerUser(api, 'doctor');
    stranger = await registerUser(api);
    auditorId = await insertAuditor(api.adminQuery);
    auditorToken = await sessionTokenFor(api, auditorId, 'auditor');
    operator = await operatorOf(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function newWorld(needs: { securityKey?: boolean; keyRotation?: boolean; clinician?: ClinicianNeed; contact?: boolean } = {}): Promise<World> {
    const owner = await registerUser(api);
    const folder = await owner.client.send(ROUTES.createFolder, { token: owner.token, body: { name: sealedBlob(20) } });
    const recordId = (await uploadRecord(owner, 100)).summary.id;
    const unsharedRecordId = (await uploadRecord(owner, 100, folder.body.id)).summary.id;
    const grant = async (body: Omit<CreateConsentRequest, 'doctorId'>) => {
      const response = await owner.client.send(ROUTES.createConsent, { token: owner.token, body: { doctorId: doctor.userId, ...body } });
      if (response.status !== 201) throw new Error(`consent failed: ${response.status} ${response.text}`);
      return response.body.id;
    };
    const consentId = await grant({ scope: 'record', recordId, wraps: [{ recordId, wrap: wrap() }] });
    const folderConsentId = await grant({ scope: 'folder', folderId: folder.body.id, wraps: [{ recordId: unsharedRecordId, wrap: wrap() }] });
    const upload = await presign(owner, 100);
    await putSegments(upload, segmentBodies(100));
    const securityKeyId = needs.securityKey ? (await enrolSecurityKey(owner, new SoftAuthenticator())).id : randomUUID();
    if (needs.keyRotation) {
      const fingerprint = createHash('sha256').update(Buffer.from(owner.request.keys.publicKey, 'base64url')).digest('hex');
      const body = { currentAuthKey: owner.request.authKey, wrappedAccountKey: sealedBlob(), wrappedPrivateKey: sealedBlob(1800), fingerprint };
      const started = await owner.client.send(ROUTES.startKeyRotation, { token: owner.token, body });
      if (started.status !== 201) throw new Error(`key rotation failed: ${started.status} ${started.text}`);
    }
    let clinicianId: string = randomUUID();
    const clinicianName = `dr. casey ${randomUUID().slice(0, 8)}`;
    if (needs.clinician) {
      clinicianId = (await registerUnverifiedDoctor(api, { displayName: clinicianName })).userId;
      if (needs.clinician !== 'pending') await decideOnClinician(api, clinicianId, 'approve');
      if (needs.clinician === 'suspended') await decideOnClinician(api, clinicianId, 'suspend');
    }
    let contact = stranger;
    let trustedContactId: string = randomUUID();
    if (needs.contact) {
      contact = await registerUser(api);
      const named = await owner.client.send(ROUTES.nameTrustedContact, {
        token: owner.token,
        body: { contactId: contact.userId, email: contact.request.email, scope: 'folder', folderId: folder.body.id, waitDays: 3, fingerprint: fingerprintOf(contact), wraps: [{ recordId: unsharedRecordId, wrap: wrap() }] },
      });
      if (named.status !== 201) throw new Error(`naming a trusted contact failed: ${named.status} ${named.text}`);
      trustedContactId = named.body.id;
      await contact.client.send(ROUTES.requestContactAccess, { params: { id: trustedContactId }, token: contact.token });
      await api.adminQuery(`UPDATE trusted_contacts SET requested_at = requested_at - interval '4 days' WHERE id = $1`, [trustedContactId]);
    }
    return {
      contact,
      trustedContactId,
      clinicianId,
      clinicianName,
      owner,
      stranger,
      folderId: folder.body.id,
      recordId,
      consentId,
      folderConsentId,
      uploadId: upload.recordId,
      unsharedRecordId,
      sessionId: sessionIdOf(owner.token),
      securityKeyId,
    };
  }

  /** Bodies sent the same in both spellings of a case, so that the answers can be compared. */
  const FIXED_METADATA = sealedBlob(60);
  const FIXED_WRAP = wrap();
  /** A break-glass setup over the world's folder, held by the shared doctor, with one of its ids cased. */
  const FIXED_SEALED = sealedBlob(1800);
  const FIXED_KEY_CHECK = sealedBlob(64);
  const emergencySetup = (w: World, c: Casing, cased: 'folder' | 'holder' | 'wrap') => ({
    scope: 'folder' as const,
    folderId: cased === 'folder' ? c(w.folderId) : w.folderId,
    publicKey: doctor.request.keys.publicKey,
    sealedPrivateKey: FIXED_SEALED,
    keyCheck: FIXED_KEY_CHECK,
    threshold: 1,
    holders: [{ holderId: cased === 'holder' ? c(doctor.userId) : doctor.userId, fingerprint: createHash('sha256').update(Buffer.from(doctor.request.keys.publicKey, 'base64url')).digest('hex'), share: FIXED_WRAP }],
    wraps: [{ recordId: cased === 'wrap' ? c(w.unsharedRecordId) : w.unsharedRecordId, wrap: FIXED_WRAP }],
  });
  const CASES: IdCase[] = [
    // Break-glass: the setup's ids in its body; a break's id in the path (an id that names no break answers the same 404 or 403 in either case).
    { route: 'configureEmergency', field: 'body:folderId', call: (w, c) => sendOf(ROUTES.configureEmergency, { token: w.owner.token, body: emergencySetup(w, c, 'folder') }) },
    { route: 'configureEmergency', field: 'body:holders[].holderId', call: (w, c) => sendOf(ROUTES.configureEmergency, { token: w.owner.token, body: emergencySetup(w, c, 'holder') }) },
    { route: 'configureEmergency', field: 'body:wraps[].recordId', call: (w, c) => sendOf(ROUTES.configureEmergency, { token: w.owner.token, body: emergencySetup(w, c, 'wrap') }) },
    { route: 'emergencyAccess', field: 'path:id', call: (w, c) => sendOf(ROUTES.emergencyAccess, { params: { id: c(w.consentId) }, token: doctor.token }) },
    { route: 'emergencyRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.emergencyRecord, { params: { id: c(w.consentId), recordId: w.recordId }, token: doctor.token }) },
    { route: 'emergencyRecord', field: 'path:recordId', call: (w, c) => sendOf(ROUTES.emergencyRecord, { params: { id: w.consentId, recordId: c(w.recordId) }, token: doctor.token }) },
    { route: 'releaseEmergencyShare', field: 'path:id', call: (w, c) => sendOf(ROUTES.releaseEmergencyShare, { params: { id: c(w.consentId) }, token: w.owner.token, body: { fingerprint: 'a'.repeat(64), share: FIXED_WRAP } }) },
    { route: 'reviewEmergency', field: 'path:id', call: (w, c) => sendOf(ROUTES.reviewEmergency, { params: { id: c(w.consentId) }, token: auditorToken, body: { outcome: 'justified', note: 'checked' } }) },
    // Path ids.
    { route: 'getRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.getRecord, { params: { id: c(w.recordId) }, token: w.owner.token }) },
    { route: 'getRecord', field: 'path:id', as: 'the consented doctor', call: (w, c) => sendOf(ROUTES.getRecord, { params: { id: c(w.recordId) }, token: doctor.token }) },
    { route: 'getRecord', field: 'path:id', as: 'a stranger', call: (w, c) => sendOf(ROUTES.getRecord, { params: { id: c(w.recordId) }, token: w.stranger.token }) },
    { route: 'getRecord', field: 'path:id', as: 'an auditor', call: (w, c) => sendOf(ROUTES.getRecord, { params: { id: c(w.recordId) }, token: auditorToken }) },
    { route: 'deleteRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.deleteRecord, { params: { id: c(w.recordId) }, token: w.owner.token }) },
    { route: 'deleteRecord', field: 'path:id', as: 'a stranger', call: (w, c) => sendOf(ROUTES.deleteRecord, { params: { id: c(w.recordId) }, token: w.stranger.token }) },
    { route: 'trashRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.trashRecord, { params: { id: c(w.recordId) }, token: w.owner.token }) },
    { route: 'trashRecord', field: 'path:id', as: 'a stranger', call: (w, c) => sendOf(ROUTES.trashRecord, { params: { id: c(w.recordId) }, token: w.stranger.token }) },
    { route: 'restoreRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.restoreRecord, { params: { id: c(w.recordId) }, token: w.owner.token }) },
    {
      route: 'updateRecordMetadata',
      field: 'path:id',
      call: (w, c) => sendOf(ROUTES.updateRecordMetadata, { params: { id: c(w.recordId) }, token: w.owner.token, body: { metadata: FIXED_METADATA } }),
    },
    { route: 'moveRecordPreview', field: 'path:id', call: (w, c) => sendOf(ROUTES.moveRecordPreview, { params: { id: c(w.recordId) }, token: w.owner.token, query: { folderId: w.folderId } }) },
    { route: 'moveRecordPreview', field: 'query:folderId', call: (w, c) => sendOf(ROUTES.moveRecordPreview, { params: { id: w.recordId }, token: w.owner.token, query: { folderId: c(w.folderId) } }) },
    { route: 'moveRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.moveRecord, { params: { id: c(w.recordId) }, token: w.owner.token, body: { folderId: w.folderId } }) },
    { route: 'moveRecord', field: 'body:folderId', call: (w, c) => sendOf(ROUTES.moveRecord, { params: { id: w.recordId }, token: w.owner.token, body: { folderId: c(w.folderId) } }) },
    {
      route: 'moveRecord',
      field: 'body:doctorWraps[].doctorId',
      // The doctor holds a wrap already (a consent over the record): a second one is refused, naming the doctor.
      call: (w, c) =>
        sendOf(ROUTES.moveRecord, { params: { id: w.recordId }, token: w.owner.token, body: { folderId: w.folderId, doctorWraps: [{ doctorId: c(doctor.userId), wrap: FIXED_WRAP }] } }),
    },
    { route: 'renameFolder', field: 'path:id', call: (w, c) => sendOf(ROUTES.renameFolder, { params: { id: c(w.folderId) }, token: w.owner.token, body: { name: sealedBlob(20) } }) },
    { route: 'deleteFolder', field: 'path:id', call: (w, c) => sendOf(ROUTES.deleteFolder, { params: { id: c(w.folderId) }, token: w.owner.token }) },
    { route: 'updateConsent', field: 'path:id', call: (w, c) => sendOf(ROUTES.updateConsent, { params: { id: c(w.consentId) }, token: w.owner.token, body: { status: 'revoked' } }) },
    { route: 'updateConsent', field: 'path:id', as: 'a stranger', call: (w, c) => sendOf(ROUTES.updateConsent, { params: { id: c(w.consentId) }, token: w.stranger.token, body: { status: 'revoked' } }) },
    // A re-wrap for the doctor's current key (the doctor has not rotated here: a current wrap may be re-made too).
    { route: 'rewrapConsent', field: 'path:id', call: (w, c) => sendOf(ROUTES.rewrapConsent, { params: { id: c(w.consentId) }, token: w.owner.token, body: rewrapBody(w.recordId) }) },
    { route: 'rewrapConsent', field: 'path:id', as: 'a stranger', call: (w, c) => sendOf(ROUTES.rewrapConsent, { params: { id: c(w.consentId) }, token: w.stranger.token, body: rewrapBody(w.recordId) }) },
    { route: 'revokeSession', field: 'path:id', call: (w, c) => sendOf(ROUTES.revokeSession, { params: { id: c(w.sessionId) }, token: w.owner.token }) },
    // An auditor naming a browser session as an API token: 404 and the same denial, whatever the case.
    { route: 'revokeApiToken', field: 'path:id', as: 'an auditor', call: (w, c) => sendOf(ROUTES.revokeApiToken, { params: { id: c(w.sessionId) }, token: auditorToken }) },
    { route: 'publicKey', field: 'path:id', call: (w, c) => sendOf(ROUTES.publicKey, { params: { id: c(w.owner.userId) }, token: doctor.token }) },
    { route: 'keyBinding', field: 'path:id', call: (w, c) => sendOf(ROUTES.keyBinding, { params: { id: c(w.owner.userId) }, token: doctor.token }) },
    {
      route: 'removeSecurityKey',
      field: 'path:id',
      call: (w, c) => sendOf(ROUTES.removeSecurityKey, { params: { id: c(w.securityKeyId) }, token: w.owner.token, body: { currentAuthKey: w.owner.request.authKey } }),
    },
    {
      route: 'removeSecurityKey',
      field: 'path:id',
      as: 'a stranger',
      call: (w, c) => sendOf(ROUTES.removeSecurityKey, { params: { id: c(w.securityKeyId) }, token: w.stranger.token, body: { currentAuthKey: w.stranger.request.authKey } }),
    },
    // Decisions on a clinician, by the operator.
    { route: 'approveClinician', field: 'path:id', clinician: 'pending', call: (w, c) => sendOf(ROUTES.approveClinician, { params: { id: c(w.clinicianId) }, token: operator.token }) },
    {
      route: 'refuseClinician',
      field: 'path:id',
      clinician: 'pending',
      call: (w, c) => sendOf(ROUTES.refuseClinician, { params: { id: c(w.clinicianId) }, token: operator.token, body: { reason: 'no such licence' } }),
    },
    {
      route: 'suspendClinician',
      field: 'path:id',
      clinician: 'approved',
      call: (w, c) => sendOf(ROUTES.suspendClinician, { params: { id: c(w.clinicianId) }, token: operator.token, body: { reason: 'under review' } }),
    },
    { route: 'reinstateClinician', field: 'path:id', clinician: 'suspended', call: (w, c) => sendOf(ROUTES.reinstateClinician, { params: { id: c(w.clinicianId) }, token: operator.token }) },
    { route: 'endClinicianSessions', field: 'path:id', clinician: 'approved', call: (w, c) => sendOf(ROUTES.endClinicianSessions, { params: { id: c(w.clinicianId) }, token: operator.token }) },
    // Query ids.
    { route: 'listRecords', field: 'query:folderId', call: (w, c) => sendOf(ROUTES.listRecords, { query: { folderId: c(w.folderId) }, token: w.owner.token }) },
    { route: 'listRecords', field: 'query:ownerId', call: (w, c) => sendOf(ROUTES.listRecords, { query: { ownerId: c(w.owner.userId) }, token: w.owner.token }) },
    { route: 'listRecords', field: 'query:ownerId', as: 'the consented doctor', call: (w, c) => sendOf(ROUTES.listRecords, { query: { ownerId: c(w.owner.userId) }, token: doctor.token }) },
    { route: 'listRecords', field: 'query:ids', call: (w, c) => sendOf(ROUTES.listRecords, { query: { ids: c(w.recordId) }, token: w.owner.token }) },
    { route: 'listRecords', field: 'query:ids', as: 'the consented doctor', call: (w, c) => sendOf(ROUTES.listRecords, { query: { ids: c(w.recordId) }, token: doctor.token }) },
    ...(['listAudit', 'exportAudit'] as const).flatMap((route): IdCase[] => {
      const auditCall = (name: typeof route, query: AuditQuery, token: string): Call =>
        name === 'exportAudit' ? sendOf(ROUTES.exportAudit, { query: { format: 'csv', ...query }, token }) : sendOf(ROUTES.listAudit, { query, token });
      return [
        { route, field: 'query:subjectId', as: 'an auditor', call: (w, c) => auditCall(route, { subjectId: c(w.owner.userId) }, auditorToken) },
        { route, field: 'query:subjectId', call: (w, c) => auditCall(route, { subjectId: c(w.owner.userId) }, w.owner.token) },
        { route, field: 'query:subjectId', as: 'a stranger', call: (w, c) => auditCall(route, { subjectId: c(w.owner.userId) }, w.stranger.token) },
        { route, field: 'query:actorId', call: (w, c) => auditCall(route, { actorId: c(w.owner.userId) }, w.owner.token) },
        { route, field: 'query:recordId', call: (w, c) => auditCall(route, { recordId: c(w.recordId) }, w.owner.token) },
      ];
    }),
    { route: 'auditHead', field: 'query:subjectId', as: 'an auditor', call: (w, c) => sendOf(ROUTES.auditHead, { query: { subjectId: c(w.owner.userId) }, token: auditorToken }) },
    { route: 'auditHead', field: 'query:subjectId', call: (w, c) => sendOf(ROUTES.auditHead, { query: { subjectId: c(w.owner.userId) }, token: w.owner.token }) },
    // Past the greatest id whatever the case: the same empty page (a page after a world's own id would list the other world's accounts).
    { route: 'auditAccounts', field: 'query:after', as: 'an auditor', call: (_w, c) => sendOf(ROUTES.auditAccounts, { query: { after: c('ffffffff-ffff-4fff-bfff-ffffffffffff') }, token: auditorToken }) },
    { route: 'searchAuditAccounts', field: 'body:after', as: 'an auditor', call: (_w, c) => sendOf(ROUTES.searchAuditAccounts, { body: { q: 'patient', after: c('ffffffff-ffff-4fff-bfff-ffffffffffff') }, token: auditorToken }) },
    { route: 'auditPeople', field: 'query:subjectId', as: 'an auditor', call: (w, c) => sendOf(ROUTES.auditPeople, { query: { subjectId: c(w.owner.userId) }, token: auditorToken }) },
    { route: 'auditPeople', field: 'query:subjectId', call: (w, c) => sendOf(ROUTES.auditPeople, { query: { subjectId: c(w.owner.userId) }, token: w.owner.token }) },
    { route: 'auditPeople', field: 'query:subjectId', as: 'a stranger', call: (w, c) => sendOf(ROUTES.auditPeople, { query: { subjectId: c(w.owner.userId) }, token: w.stranger.token }) },
    { route: 'auditPeople', field: 'query:ids', call: (w, c) => sendOf(ROUTES.auditPeople, { query: { ids: c(w.owner.userId) }, token: w.owner.token }) },
    { route: 'fhirAuditEvents', field: 'query:patient', as: 'an auditor', call: (w, c) => sendOf(ROUTES.fhirAuditEvents, { query: { patient: c(w.owner.userId) }, token: auditorToken }) },
    { route: 'fhirAuditEvents', field: 'query:patient', call: (w, c) => sendOf(ROUTES.fhirAuditEvents, { query: { patient: c(w.owner.userId) }, token: w.owner.token }) },
    { route: 'fhirAuditEvents', field: 'query:patient', as: 'a stranger', call: (w, c) => sendOf(ROUTES.fhirAuditEvents, { query: { patient: c(w.owner.userId) }, token: w.stranger.token }) },
    { route: 'fhirConsents', field: 'query:patient', as: 'an auditor', call: (w, c) => sendOf(ROUTES.fhirConsents, { query: { patient: c(w.owner.userId) }, token: auditorToken }) },
    { route: 'fhirConsents', field: 'query:patient', call: (w, c) => sendOf(ROUTES.fhirConsents, { query: { patient: c(w.owner.userId) }, token: w.owner.token }) },
    // Body ids.
    { route: 'presignUpload', field: 'body:recordId', call: (w, c) => sendOf(ROUTES.presignUpload, { token: w.owner.token, body: { size: 100, recordId: c(w.uploadId) } }) },
    { route: 'presignUpload', field: 'body:recordId', as: 'a stranger', call: (w, c) => sendOf(ROUTES.presignUpload, { token: w.stranger.token, body: { size: 100, recordId: c(w.uploadId) } }) },
    // A renewal into the shared folder: the answer names the doctor of the folder's consent.
    { route: 'presignUpload', field: 'body:folderId', call: (w, c) => sendOf(ROUTES.presignUpload, { token: w.owner.token, body: { size: 100, recordId: w.uploadId, folderId: c(w.folderId) } }) },
    { route: 'presignUpload', field: 'body:folderId', as: 'a stranger', call: (w, c) => sendOf(ROUTES.presignUpload, { token: w.stranger.token, body: { size: 100, folderId: c(w.folderId) } }) },
    { route: 'commitRecord', field: 'body:recordId', call: (w, c) => sendOf(ROUTES.commitRecord, { token: w.owner.token, body: commitRequest(c(w.uploadId)) }) },
    { route: 'commitRecord', field: 'body:recordId', as: 'a stranger', call: (w, c) => sendOf(ROUTES.commitRecord, { token: w.stranger.token, body: commitRequest(c(w.uploadId)) }) },
    {
      route: 'commitRecord',
      field: 'body:folderId',
      call: (w, c) => sendOf(ROUTES.commitRecord, { token: w.owner.token, body: { ...commitRequest(w.uploadId, c(w.folderId)), doctorWraps: [{ doctorId: doctor.userId, wrap: wrap() }] } }),
    },
    {
      route: 'commitRecord',
      field: 'body:folderId',
      as: 'a stranger',
      call: (w, c) => sendOf(ROUTES.commitRecord, { token: w.stranger.token, body: commitRequest(randomUUID(), c(w.folderId)) }),
    },
    {
      route: 'commitRecord',
      field: 'body:doctorWraps[].doctorId',
      call: (w, c) => sendOf(ROUTES.commitRecord, { token: w.owner.token, body: { ...commitRequest(w.uploadId, w.folderId), doctorWraps: [{ doctorId: c(doctor.userId), wrap: wrap() }] } }),
    },
    {
      route: 'createConsent',
      field: 'body:doctorId',
      call: (w, c) => sendOf(ROUTES.createConsent, { token: w.owner.token, body: { doctorId: c(doctor.userId), scope: 'record', recordId: w.recordId, wraps: [{ recordId: w.recordId, wrap: wrap() }] } }),
    },
    {
      route: 'createConsent',
      field: 'body:recordId',
      call: (w, c) => sendOf(ROUTES.createConsent, { token: w.owner.token, body: { doctorId: doctor.userId, scope: 'record', recordId: c(w.recordId), wraps: [{ recordId: w.recordId, wrap: wrap() }] } }),
    },
    {
      route: 'createConsent',
      field: 'body:recordId',
      as: 'a stranger',
      call: (w, c) => sendOf(ROUTES.createConsent, { token: w.stranger.token, body: { doctorId: doctor.userId, scope: 'record', recordId: c(w.recordId), wraps: [{ recordId: c(w.recordId), wrap: wrap() }] } }),
    },
    {
      route: 'createConsent',
      field: 'body:folderId',
      call: (w, c) => sendOf(ROUTES.createConsent, { token: w.owner.token, body: { doctorId: doctor.userId, scope: 'folder', folderId: c(w.folderId), wraps: [{ recordId: w.unsharedRecordId, wrap: wrap() }] } }),
    },
    {
      route: 'createConsent',
      field: 'body:folderId',
      as: 'a stranger',
      call: (w, c) => sendOf(ROUTES.createConsent, { token: w.stranger.token, body: { doctorId: doctor.userId, scope: 'folder', folderId: c(w.folderId), wraps: [] } }),
    },
    {
      route: 'createConsent',
      field: 'body:wraps[].recordId',
      call: (w, c) => sendOf(ROUTES.createConsent, { token: w.owner.token, body: { doctorId: doctor.userId, scope: 'record', recordId: w.recordId, wraps: [{ recordId: c(w.recordId), wrap: wrap() }] } }),
    },
    // A rotation under way (newWorld starts one): the owner re-seals a row named in upper case.
    {
      route: 'keyRotationBatch',
      field: 'body:ownerWraps[].recordId',
      call: (w, c) => sendOf(ROUTES.keyRotationBatch, { token: w.owner.token, body: { generation: 2, ownerWraps: [{ recordId: c(w.recordId), wrap: sealedBlob() }], folders: [] } }),
    },
    {
      route: 'keyRotationBatch',
      field: 'body:folders[].folderId',
      call: (w, c) => sendOf(ROUTES.keyRotationBatch, { token: w.owner.token, body: { generation: 2, ownerWraps: [], folders: [{ folderId: c(w.folderId), name: sealedBlob(20) }] } }),
    },
    {
      route: 'rewrapConsent',
      field: 'body:wraps[].recordId',
      call: (w, c) => sendOf(ROUTES.rewrapConsent, { params: { id: w.consentId }, token: w.owner.token, body: rewrapBody(c(w.recordId)) }),
    },
  ];
  const trustedContactCases: IdCase[] = [
    { route: 'updateTrustedContact', field: 'path:id', call: (w, c) => sendOf(ROUTES.updateTrustedContact, { params: { id: c(w.trustedContactId) }, token: w.owner.token, body: { waitDays: 5 } }) },
    { route: 'updateTrustedContact', field: 'path:id', as: 'the contact', call: (w, c) => sendOf(ROUTES.updateTrustedContact, { params: { id: c(w.trustedContactId) }, token: w.contact.token, body: { waitDays: 5 } }) },
    { route: 'removeTrustedContact', field: 'path:id', call: (w, c) => sendOf(ROUTES.removeTrustedContact, { params: { id: c(w.trustedContactId) }, token: w.owner.token }) },
    { route: 'rewrapTrustedContact', field: 'path:id', call: (w, c) => sendOf(ROUTES.rewrapTrustedContact, { params: { id: c(w.trustedContactId) }, token: w.owner.token, body: contactRewrapBody(w, w.unsharedRecordId) }) },
    { route: 'rewrapTrustedContact', field: 'body:wraps[].recordId', call: (w, c) => sendOf(ROUTES.rewrapTrustedContact, { params: { id: w.trustedContactId }, token: w.owner.token, body: contactRewrapBody(w, c(w.unsharedRecordId)) }) },
    { route: 'requestContactAccess', field: 'path:id', call: (w, c) => sendOf(ROUTES.requestContactAccess, { params: { id: c(w.trustedContactId) }, token: w.contact.token }) },
    { route: 'refuseContactAccess', field: 'path:id', call: (w, c) => sendOf(ROUTES.refuseContactAccess, { params: { id: c(w.trustedContactId) }, token: w.owner.token }) },
    { route: 'listContactRecords', field: 'path:id', call: (w, c) => sendOf(ROUTES.listContactRecords, { params: { id: c(w.trustedContactId) }, token: w.contact.token }) },
    { route: 'getContactRecord', field: 'path:id', call: (w, c) => sendOf(ROUTES.getContactRecord, { params: { id: c(w.trustedContactId), recordId: w.unsharedRecordId }, token: w.contact.token }) },
    { route: 'getContactRecord', field: 'path:recordId', call: (w, c) => sendOf(ROUTES.getContactRecord, { params: { id: w.trustedContactId, recordId: c(w.unsharedRecordId) }, token: w.contact.token }) },
    { route: 'getContactRecord', field: 'path:recordId', as: 'a stranger', call: (w, c) => sendOf(ROUTES.getContactRecord, { params: { id: w.trustedContactId, recordId: c(w.unsharedRecordId) }, token: w.stranger.token }) },
    {
      route: 'nameTrustedContact',
      field: 'body:contactId',
      call: (w, c) => sendOf(ROUTES.nameTrustedContact, { token: w.owner.token, body: { contactId: c(w.stranger.userId), email: w.stranger.request.email, scope: 'all', waitDays: 2, fingerprint: fingerprintOf(w.stranger), wraps: allWraps(w) } }),
    },
    {
      route: 'nameTrustedContact',
      field: 'body:folderId',
      call: (w, c) =>
        sendOf(ROUTES.nameTrustedContact, {
          token: w.owner.token,
          body: { contactId: w.stranger.userId, email: w.stranger.request.email, scope: 'folder', folderId: c(w.folderId), waitDays: 2, fingerprint: fingerprintOf(w.stranger), wraps: [{ recordId: w.unsharedRecordId, wrap: FIXED_WRAP }] },
        }),
    },
    {
      route: 'nameTrustedContact',
      field: 'body:wraps[].recordId',
      call: (w, c) =>
        sendOf(ROUTES.nameTrustedContact, {
          token: w.owner.token,
          body: { contactId: w.stranger.userId, email: w.stranger.request.email, scope: 'folder', folderId: w.folderId, waitDays: 2, fingerprint: fingerprintOf(w.stranger), wraps: [{ recordId: c(w.unsharedRecordId), wrap: FIXED_WRAP }] },
        }),
    },
    {
      route: 'commitRecord',
      field: 'body:contactWraps[].contactId',
      call: (w, c) =>
        sendOf(ROUTES.commitRecord, {
          token: w.owner.token,
          body: { ...commitRequest(w.uploadId, w.folderId), doctorWraps: [{ doctorId: doctor.userId, wrap: FIXED_WRAP }], contactWraps: [{ contactId: c(w.contact.userId), wrap: FIXED_WRAP }] },
        }),
    },
  ];
  CASES.push(...trustedContactCases);
  /** Every trusted-contact case but a naming runs in a world with a released contact over the folder. */
  const needsContact = (idCase: IdCase) => trustedContactCases.includes(idCase) && idCase.route !== 'nameTrustedContact';
  const contactRewrapBody = (w: World, recordId: string) => ({ fingerprint: fingerprintOf(w.contact), wraps: [{ recordId, wrap: FIXED_WRAP }] });
  const allWraps = (w: World) => [w.recordId, w.unsharedRecordId].sort().map((recordId) => ({ recordId, wrap: FIXED_WRAP }));
  const rewrapBody = (recordId: string) => ({ fingerprint: createHash('sha256').update(Buffer.from(doctor.request.keys.publicKey, 'base64url')).digest('hex'), wraps: [{ recordId, wrap: wrap() }] });

  it('has a case for every route and every request field of the contract that holds an id', () => {
    const covered = new Set(CASES.map((idCase) => `${idCase.route} ${idCase.field}`));
    const needed = (Object.keys(ROUTES) as RouteName[]).flatMap((name) => idFieldsOf(document, name).map((field) => `${name} ${field}`));
    expect(needed.length).toBeGreaterThan(20);
    expect(needed.filter((entry) => !covered.has(entry))).toEqual([]);
    expect([...covered].filter((entry) => !needed.includes(entry))).toEqual([]);
  });

  it.each(CASES.map((idCase) => [`${idCase.route} ${idCase.field}${idCase.as ? ` (${idCase.as})` : ''}`, idCase] as const))(
    '%s: upper case answers and audits as lower case does',
    async (_name, idCase) => {
      const run = async (cased: Casing) => {
        const world = await newWorld({ securityKey: idCase.route === 'removeSecurityKey', keyRotation: idCase.route === 'keyRotationBatch', clinician: idCase.clinician, contact: needsContact(idCase) });
        const subjects = [world.owner.userId, world.stranger.userId, doctor.userId, auditorId, operator.userId, ...(idCase.clinician ? [world.clinicianId] : []), ...(world.contact === world.stranger ? [] : [world.contact.userId])];
        const before = await Promise.all(subjects.map(async (subject) => (await auditRowsOf(api, subject)).length));
        const response = await idCase.call(world, cased)(http);
        const added = (await Promise.all(subjects.map(async (subject, i) => (await auditRowsOf(api, subject)).slice(before[i])))).flat();
        const names = namesOf(world, { doctor: doctor.userId, auditor: auditorId, operator: operator.userId });
        return { world, subjects, answer: normalized(answerOf(response), names), audit: normalized(added.map(auditFacts), names) };
      };
      const asLower = await run(lower);
      const asUpper = await run(upper);
      expect(asLower.answer.status).toBeLessThan(500);
      expect(asUpper.answer).toEqual(asLower.answer);
      expect(asUpper.audit).toEqual(asLower.audit);
      for (const subject of [...asLower.subjects, ...asUpper.subjects]) {
        expect({ subject, firstBroken: await firstBrokenRow(await auditRowsOf(api, subject)) }).toEqual({ subject, firstBroken: null });
      }
      for (const { owner } of [asLower.world, asUpper.world]) {
        expect(await firstBrokenSeenBy(owner)).toBeNull();
      }
    },
  );

  /**
   * The owner's chain as the portal checks it (features/audit/own-chain.ts):
   * the head first, every page, recomputed, and the rows must reach the head.
   */
  async function firstBrokenSeenBy(owner: RegisteredUser): Promise<number | null> {
    // A session of its own: some cases end the one the owner registered with.
    const token = await sessionTokenFor(api, owner.userId, 'patient');
    const head = await owner.client.send(ROUTES.auditHead, { token });
    expect(head.status).toBe(200);
    const events: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const page: RouteResult<AuditPage> = await owner.client.send(ROUTES.listAudit, { query: { limit: 200, cursor: cursor ?? undefined }, token });
      expect(page.status).toBe(200);
      events.push(...page.body.items.filter((row) => row.subjectId === owner.userId));
      cursor = page.body.nextCursor;
    } while (cursor);
    events.sort((a, b) => a.seq - b.seq);
    const broken = await firstBrokenAuditRow(events, sha256Hex);
    return broken ?? (events[head.body.seq - 1]?.hash === head.body.hash ? null : head.body.seq);
  }

  it('leaves every chain in the database unbroken', async () => {
    const subjects = await api.adminQuery<{ subject_id: string }>('SELECT DISTINCT subject_id FROM audit_events ORDER BY subject_id');
    expect(subjects.length).toBeGreaterThan(CASES.length);
    const broken: Array<{ subject: string; seq: number }> = [];
    for (const { subject_id: subject } of subjects) {
      const seq = await firstBrokenRow(await auditRowsOf(api, subject));
      if (seq !== null) broken.push({ subject, seq });
    }
    expect(broken).toEqual([]);
  });
});

/** The id-holding request fields of a route, from the OpenAPI document the DTOs generate: path parameters and every uuid. */
function idFieldsOf(document: OpenAPIObject, name: RouteName): string[] {
  const route = ROUTES[name];
  const operation = document.paths[`${API_PREFIX}${route.path.replace(/:(\w+)/g, '{$1}')}`]?.[route.method.toLowerCase() as 'get'];
  if (!operation) throw new Error(`${name} is not in the OpenAPI document`);
  const fields: string[] = [];
  for (const parameter of (operation.parameters ?? []) as Array<{ in: string; name: string; schema?: { format?: string; items?: { format?: string } } }>) {
    // An id, or a list of them (`ids=a,b`).
    if (parameter.in === 'path' || parameter.schema?.format === 'uuid' || parameter.schema?.items?.format === 'uuid') fields.push(`${parameter.in}:${parameter.name}`);
  }
  const body = (operation.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']?.schema;
  if (body) fields.push(...uuidPaths(document, body).map((path) => `body:${path}`));
  return fields;
}

interface Schema {
  $ref?: string;
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
}

function uuidPaths(document: OpenAPIObject, schema: Schema, seen = new Set<string>()): string[] {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() as string;
    if (seen.has(name)) return [];
    return uuidPaths(document, document.components?.schemas?.[name] as Schema, new Set([...seen, name]));
  }
  const paths: string[] = schema.format === 'uuid' ? [''] : [];
  for (const [key, value] of Object.entries(schema.properties ?? {})) {
    paths.push(...uuidPaths(document, value, seen).map((rest) => (rest === '' ? key : rest.startsWith('[]') ? `${key}${rest}` : `${key}.${rest}`)));
  }
  if (schema.items) paths.push(...uuidPaths(document, schema.items, seen).map((rest) => `[]${rest === '' ? '' : `.${rest}`}`));
  for (const part of schema.allOf ?? []) paths.push(...uuidPaths(document, part, seen));
  return paths;
}

function answerOf(response: RouteResult<unknown>): { status: number; body: unknown } {
  return { status: response.status, body: response.body };
}

/** What an audit row says, without what differs between two worlds by nature (times, hashes, request ids). */
function auditFacts(row: AuditRow): Record<string, unknown> {
  return {
    subject: row.subject_id,
    actor: row.actor_id,
    role: row.actor_role,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    record: row.record_id,
    consent: row.consent_id,
  };
}

function namesOf(world: World, shared: Record<string, string>): Array<[string, string]> {
  const { owner, stranger, contact, ...rows } = world;
  return [...Object.entries({ ...rows, ownerId: owner.userId, strangerId: stranger.userId, contactUserId: contact.userId, ...shared })];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const HEX_HASH = /\b[0-9a-f]{64}\b/g;
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g;
/** Fields whose values differ between two worlds by nature. */
const VOLATILE = new Set([
  ...['requestId', 'url', 'nextCursor', 'seq', 'lastUsedAt', 'createdAt', 'expiresAt', 'revokedAt', 'occurredAt', 'hash', 'prevHash', 'metadata', 'wrap', 'publicKey', 'fingerprint', 'name'],
  // Every world's clinician registers with an address of its own.
  'email',
  // The key directory's log grows with every world's registrations.
  ...['leafIndex', 'treeHead', 'inclusionProof'],
]);

/**
 * The same value with each known id named (`<recordId>`; an id echoed in upper
 * case is named differently, `<RECORDID>`, so it shows), other ids, times and
 * hashes blanked, and volatile fields dropped.
 */
function normalized<T>(value: T, names: Array<[string, string]>): T {
  const text = (input: string) => {
    let out = input;
    for (const [name, id] of names) {
      out = out.split(id.toLowerCase()).join(`<${name}>`).split(id.toUpperCase()).join(`<${name.toUpperCase()}>`);
    }
    // Positions in the key directory's log, which grows with every world.
    return out.replace(UUID, '<uuid>').replace(HEX_HASH, '<hash>').replace(ISO_TIME, '<time>').replace(/binding \d+ in tree \d+/g, 'binding <n> in tree <n>');
  };
  const walk = (input: unknown): unknown => {
    if (typeof input === 'string') return text(input);
    if (Array.isArray(input)) return input.map(walk);
    if (input && typeof input === 'object') {
      return Object.fromEntries(Object.entries(input).map(([key, inner]) => [key, VOLATILE.has(key) ? '<volatile>' : walk(inner)]));
    }
    return input;
  };
  return walk(value) as T;
}

