/** Records and folders of the signed-in patient, with their sealed parts opened in the crypto worker. */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { RecordListView, RecordSummary } from '@phr/shared-types';
import { folderKeys } from '../../api/folders.js';
import { recordKeys, type RecordListFilter, type RecordsApi } from '../../api/records.js';
import type { OpenedMetadata } from '../../crypto/record-vault.js';
import { useSession } from '../auth/session.js';
import { everyPage } from '../../api/every-page.js';

const PAGE_SIZE = 25;

export interface ListedRecord {
  summary: RecordSummary;
  opened: OpenedMetadata;
}

export interface NamedFolder {
  id: string;
  name: string;
}

export function useFolders() {
  const { user, folders: foldersApi, vault } = useSession();
  return useQuery({
    queryKey: folderKeys.list(),
    enabled: user !== null,
    queryFn: async (): Promise<NamedFolder[]> => {
      const folders = await foldersApi.list();
      return vault.openFolderNames(user?.id ?? '', folders.items);
    },
  });
}

export type RecordFilter = RecordListFilter;

/** How often a doctor's view of shared records asks again: a patient may revoke or share at any time. */
export const SHARED_REFRESH_MS = 30_000;

export function useRecordList({ folderId, ownerId, view }: RecordFilter) {
  const { user, records, vault } = useSession();
  // A doctor's view of a patient's records (ownerId) follows the patient's changes by itself.
  const isShared = ownerId !== undefined;
  return useInfiniteQuery({
    queryKey: recordKeys.list({ folderId, ownerId, view }),
    enabled: user !== null,
    refetchOnWindowFocus: isShared ? 'always' : true,
    refetchInterval: isShared ? SHARED_REFRESH_MS : false,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: async ({ pageParam }) => {
      const page = await records.list({ folderId, ownerId, view, cursor: pageParam, limit: PAGE_SIZE });
      const opened = await vault.openRecordMetadata(page.items, user?.id ?? '');
      return { items: page.items.map((summary, i): ListedRecord => ({ summary, opened: opened[i] })), nextCursor: page.nextCursor };
    },
  });
}

/**
 * Every record of the patient in a scope, all pages: in use (a trusted contact's or break-glass
 * scope, the export) or in the trash (a share's). What a share, a contact or the emergency setup
 * wraps: a record the server lists in a folder while it states another folder for it is refused,
 * so its key is not wrapped for whoever that folder is shared with (docs/threat-model.md T104).
 */
export async function allRecordsIn(records: Pick<RecordsApi, 'list'>, folderId: string | undefined, view?: RecordListView): Promise<RecordSummary[]> {
  const items = await everyPage((cursor) => records.list({ folderId, view, cursor, limit: 100 }));
  if (folderId !== undefined) assertAllInFolder(items, folderId);
  return items;
}

function assertAllInFolder(items: readonly RecordSummary[], folderId: string): void {
  const strays = items.filter((record) => record.folderId?.toLowerCase() !== folderId.toLowerCase()).length;
  if (strays > 0) {
    throw new Error(
      `The server listed ${strays === 1 ? 'a record' : `${strays} records`} of another folder among this folder's records, so nothing was wrapped for anyone. Try again later, and tell your provider.`,
    );
  }
}
