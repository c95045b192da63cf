/** The folders area of the API, typed by the contract, and its query keys. */
import { ROUTES } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function foldersApi(client: ApiClient) {
  return {
    list: () => client.call(ROUTES.listFolders),
    /** `keyGeneration`: the account key that sealed the name (the vault's keyGeneration; docs/protocol.md "Account-key rotation"). */
    create: (name: string, keyGeneration?: number) => client.call(ROUTES.createFolder, { body: { name, keyGeneration } }),
    rename: (id: string, name: string, keyGeneration?: number) => client.call(ROUTES.renameFolder, { params: { id }, body: { name, keyGeneration } }),
    remove: (id: string) => client.call(ROUTES.deleteFolder, { params: { id } }),
  };
}

export type FoldersApi = ReturnType<typeof foldersApi>;

/** Query keys of the folders area; every key starts with `all`. */
export const folderKeys = {
  all: ['folders'] as const,
  list: () => [...folderKeys.all, 'list'] as const,
  detail: (folderId: string) => [...folderKeys.all, 'detail', folderId] as const,
};
