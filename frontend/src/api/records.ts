/** The records and folders areas of the API, typed by the contract. */
import { ROUTES, type AuditExportQuery, type AuditQuery, type CommitRecordRequest, type CreateConsentRequest, type ListConsentsQuery, type ListRecordsQuery, type PresignUploadRequest, type RewrapConsentRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function recordsApi(client: ApiClient) {
  return {
    presign: (body: PresignUploadRequest) => client.call(ROUTES.presignUpload, { body }),
    commit: (body: CommitRecordRequest) => client.call(ROUTES.commitRecord, { body }),
    list: (query: ListRecordsQuery) => client.call(ROUTES.listRecords, { query }),
    get: (id: string) => client.call(ROUTES.getRecord, { params: { id } }),
    remove: (id: string) => client.call(ROUTES.deleteRecord, { params: { id } }),
    folders: () => client.call(ROUTES.listFolders),
    /** `keyGeneration`: the account key that sealed the name (the vault's keyGeneration; docs/protocol.md "Account-key rotation"). */
    createFolder: (name: string, keyGeneration?: number) => client.call(ROUTES.createFolder, { body: { name, keyGeneration } }),
    renameFolder: (id: string, name: string, keyGeneration?: number) => client.call(ROUTES.renameFolder, { params: { id }, body: { name, keyGeneration } }),
    removeFolder: (id: string) => client.call(ROUTES.deleteFolder, { params: { id } }),
    searchDoctors: (q: string) => client.call(ROUTES.searchDoctors, { query: { q } }),
    publicKey: (id: string) => client.call(ROUTES.publicKey, { params: { id } }),
    consents: (query: ListConsentsQuery = {}) => client.call(ROUTES.listConsents, { query }),
    grant: (body: CreateConsentRequest) => client.call(ROUTES.createConsent, { body }),
    revoke: (id: string) => client.call(ROUTES.updateConsent, { params: { id }, body: { status: 'revoked' } }),
    rewrap: (id: string, body: RewrapConsentRequest) => client.call(ROUTES.rewrapConsent, { params: { id }, body }),
    audit: (query: AuditQuery) => client.call(ROUTES.listAudit, { query }),
    auditHead: () => client.call(ROUTES.auditHead),
    exportAudit: (query: AuditExportQuery) => client.call(ROUTES.exportAudit, { query }),
  };
}

export type RecordsApi = ReturnType<typeof recordsApi>;
