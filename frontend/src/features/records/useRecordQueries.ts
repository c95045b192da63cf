/** Records and folders of the signed-in patient, with their sealed parts opened in the crypto worker. */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { RecordSummary } from '@phr/shared-types';
import type { RecordsApi } from '../../api/records.js';
import type { OpenedMetadata } from '../../crypto/record-vault.js';
import { useSession } from '../auth/session.js';

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
  const { user, records, vault } = useSession();
  return useQuery({
    queryKey: ['folders', user?.id],
    enabled: user !== null,
    queryFn: async (): Promise<NamedFolder[]> => {
      const folders = await records.folders();
      return vault.openFolderNames(user?.id ?? '', folders.items);
    },
  });
}

/** Which records a list shows: a patient's folder (or all of theirs), or one patient's records shared with a doctor. */
export interface RecordFilter {
  folderId?: string;
  ownerId?: string;
}

export function useRecordList({ folderId, ownerId }: RecordFilter) {
  const { user, records, vault } = useSession();
  return useInfiniteQuery({
    queryKey: ['records', user?.id, folderId ?? 'all', ownerId ?? 'any'],
    enabled: user !== null,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: async ({ pageParam }) => {
      const page = await records.list({ folderId, ownerId, cursor: pageParam, limit: PAGE_SIZE });
      const opened = await vault.openRecordMetadata(page.items, user?.id ?? '');
      return { items: page.items.map((summary, i): ListedRecord => ({ summary, opened: opened[i] })), nextCursor: page.nextCursor };
    },
  });
}

/** Every record of the patient in a scope, all pages: what a share must wrap. */
export async function allRecordsIn(records: RecordsApi, folderId: string | undefined): Promise<RecordSummary[]> {
  const all: RecordSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await records.list({ folderId, cursor, limit: 100 });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}
