/** The records and folders areas of the API, typed by the contract. */
import { ROUTES, type CommitRecordRequest, type ListRecordsQuery, type PresignUploadRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function recordsApi(client: ApiClient) {
  return {
    presign: (body: PresignUploadRequest) => client.call(ROUTES.presignUpload, { body }),
    commit: (body: CommitRecordRequest) => client.call(ROUTES.commitRecord, { body }),
    list: (query: ListRecordsQuery) => client.call(ROUTES.listRecords, { query }),
    get: (id: string) => client.call(ROUTES.getRecord, { params: { id } }),
    remove: (id: string) => client.call(ROUTES.deleteRecord, { params: { id } }),
    folders: () => client.call(ROUTES.listFolders),
    createFolder: (name: string) => client.call(ROUTES.createFolder, { body: { name } }),
    renameFolder: (id: string, name: string) => client.call(ROUTES.renameFolder, { params: { id }, body: { name } }),
    removeFolder: (id: string) => client.call(ROUTES.deleteFolder, { params: { id } }),
  };
}

export type RecordsApi = ReturnType<typeof recordsApi>;
