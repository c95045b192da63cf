/** The records area of the API (upload, list, read, delete), typed by the contract, and its query keys. */
import { ROUTES, type CommitRecordRequest, type ListRecordsQuery, type PresignUploadRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function recordsApi(client: ApiClient) {
  return {
    presign: (body: PresignUploadRequest) => client.call(ROUTES.presignUpload, { body }),
    commit: (body: CommitRecordRequest) => client.call(ROUTES.commitRecord, { body }),
    list: (query: ListRecordsQuery) => client.call(ROUTES.listRecords, { query }),
    get: (id: string) => client.call(ROUTES.getRecord, { params: { id } }),
    remove: (id: string) => client.call(ROUTES.deleteRecord, { params: { id } }),
  };
}

export type RecordsApi = ReturnType<typeof recordsApi>;

/** Which records a list shows: a patient's folder (or all of theirs), or one patient's records shared with a doctor. */
export interface RecordListFilter {
  folderId?: string;
  ownerId?: string;
}

/**
 * Query keys of the records area. Every key starts with `all`, so invalidating `all`
 * refreshes every list, detail and share scope. Keys carry no user id: the cache is
 * cleared at every end of a session (features/auth/session.tsx).
 */
export const recordKeys = {
  all: ['records'] as const,
  lists: () => [...recordKeys.all, 'list'] as const,
  list: (filter: RecordListFilter) => [...recordKeys.lists(), { folderId: filter.folderId ?? null, ownerId: filter.ownerId ?? null }] as const,
  details: () => [...recordKeys.all, 'detail'] as const,
  detail: (recordId: string) => [...recordKeys.details(), recordId] as const,
  /** The records a share would wrap: one record, a folder's, or all the patient's. */
  shareScope: (scope: string, targetId: string | null) => [...recordKeys.all, 'share-scope', scope, targetId] as const,
  /** Every record's title, decrypted in the browser, for the names in the trail. */
  titles: () => [...recordKeys.all, 'titles'] as const,
};
