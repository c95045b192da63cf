/** Folders: "All records" and the patient's own, with add, rename and delete (only when empty). */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { resealFolderLabels } from '../sharing/reseal-folder-labels.js';
import { useTrust } from '../trust/TrustProvider.js';
import { useFolders, type NamedFolder } from './useRecordQueries.js';

const MAX_NAME = 80;

export function FolderPanel({ selected, onSelect }: { selected: string | undefined; onSelect(folderId: string | undefined): void }) {
  const { user, folders: foldersApi, consents, vault } = useSession();
  const { proveContactKey } = useTrust();
  const queryClient = useQueryClient();
  const folders = useFolders();
  const [newName, setNewName] = useState('');
  const [renaming, setRenaming] = useState<NamedFolder | null>(null);
  const [staleLabels, setStaleLabels] = useState<string[]>([]);

  const create = useMutation({
    mutationFn: async (name: string) => {
      // During an account-key rotation the vault seals under the new key, and the API must hear which.
      const keyGeneration = await vault.keyGeneration();
      return foldersApi.create(await vault.sealFolderName(user?.id ?? '', name), keyGeneration);
    },
    onSuccess: async (folder) => {
      setNewName('');
      await invalidateAfter(queryClient, 'folderCreated');
      onSelect(folder.id);
    },
  });
  const rename = useMutation({
    mutationFn: async ({ id, name }: NamedFolder) => {
      const keyGeneration = await vault.keyGeneration();
      await foldersApi.rename(id, await vault.sealFolderName(user?.id ?? '', name), keyGeneration);
      // The doctors this folder is shared with see its name through their own sealed copy: sealed again for each.
      return resealFolderLabels(consents, vault, proveContactKey, id, name);
    },
    onSuccess: async (missed) => {
      setRenaming(null);
      setStaleLabels(missed);
      await invalidateAfter(queryClient, 'folderRenamed');
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => foldersApi.remove(id),
    onSuccess: async () => {
      onSelect(undefined);
      await invalidateAfter(queryClient, 'folderDeleted');
    },
  });

  const submitNew = (event: SubmitEvent) => {
    event.preventDefault();
    if (newName.trim()) create.mutate(newName.trim());
  };
  const submitRename = (event: SubmitEvent) => {
    event.preventDefault();
    if (renaming?.name.trim()) rename.mutate({ id: renaming.id, name: renaming.name.trim() });
  };
  const current = folders.data?.find((folder) => folder.id === selected);
  const error = create.error ?? rename.error ?? remove.error ?? folders.error;

  return (
    <aside className="folder-panel" aria-label="Folders">
      <h2>Folders</h2>
      <ul className="folder-list">
        <li>
          <button type="button" className="folder-button" aria-current={selected === undefined ? 'true' : undefined} onClick={() => onSelect(undefined)}>
            All records
          </button>
        </li>
        {folders.data?.map((folder) => (
          <li key={folder.id}>
            <button type="button" className="folder-button" aria-current={selected === folder.id ? 'true' : undefined} onClick={() => onSelect(folder.id)}>
              {folder.name}
            </button>
          </li>
        ))}
      </ul>
      {current && !renaming ? (
        <div className="row">
          <Button type="button" variant="secondary" onClick={() => setRenaming(current)}>
            Rename folder
          </Button>
          <Button type="button" variant="danger" isBusy={remove.isPending} onClick={() => remove.mutate(current.id)}>
            Delete folder
          </Button>
        </div>
      ) : null}
      {renaming ? (
        <form onSubmit={submitRename} className="stack">
          <label htmlFor="folder-rename">New folder name</label>
          <input id="folder-rename" maxLength={MAX_NAME} value={renaming.name} onChange={(event) => setRenaming({ ...renaming, name: event.target.value })} />
          <div className="row">
            <Button type="submit" isBusy={rename.isPending}>
              Save name
            </Button>
            <Button type="button" variant="secondary" onClick={() => setRenaming(null)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : null}
      <form onSubmit={submitNew} className="stack">
        <label htmlFor="folder-new">New folder</label>
        <input id="folder-new" maxLength={MAX_NAME} value={newName} onChange={(event) => setNewName(event.target.value)} placeholder="e.g. Cardiology" />
        <Button type="submit" variant="secondary" isBusy={create.isPending} disabled={!newName.trim()}>
          Add folder
        </Button>
      </form>
      {error ? <Alert tone="error">{describeError(error)}</Alert> : null}
      {staleLabels.length > 0 ? <Alert tone="info">Renamed. These doctors still see the folder’s old name: {staleLabels.join('; ')}</Alert> : null}
    </aside>
  );
}
