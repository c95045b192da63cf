/**
 * Moves a record to another folder (or none). A folder shared with a doctor
 * gives them the record: the worker wraps its file key for each such doctor,
 * whose key is proven in the key directory first, as at upload (DESIGN 5). A
 * doctor whose consent no longer takes the record in loses it: the patient is
 * told who before confirming (docs/protocol.md "Organising records").
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { RecordSummary } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { recordKeys } from '../../api/records.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { useTrust } from '../trust/TrustProvider.js';
import { useFolders } from './useRecordQueries.js';

const NO_FOLDER = '';

interface MoveRecordFormProps {
  summary: RecordSummary;
  title: string;
  onDone(message: string): void;
  onCancel(): void;
}

export function MoveRecordForm({ summary, title, onDone, onCancel }: MoveRecordFormProps) {
  const { user, records, vault } = useSession();
  const { proveContactKey } = useTrust();
  const queryClient = useQueryClient();
  const folders = useFolders();
  const [destination, setDestination] = useState<string | null>(null);
  const choices = [{ id: NO_FOLDER, name: 'No folder' }, ...(folders.data ?? [])].filter((folder) => folder.id !== (summary.folderId ?? NO_FOLDER));
  const target = destination ?? choices[0]?.id ?? NO_FOLDER;
  const folderId = target === NO_FOLDER ? null : target;
  const targetName = choices.find((folder) => folder.id === target)?.name ?? '';

  const preview = useQuery({
    queryKey: recordKeys.moveCheck(summary.id, folderId),
    queryFn: () => records.movePreview(summary.id, folderId),
    enabled: choices.length > 0,
  });
  const move = useMutation({
    mutationFn: async () => {
      const doctorWraps = [];
      for (const doctor of preview.data?.coveringDoctors ?? []) {
        const publicKey = await proveContactKey(doctor.id, doctor.displayName, [{ where: 'the key the server serves for a moved record', publicKey: doctor.publicKey }], { folderId });
        const { wraps } = await vault.wrapForDoctor(user?.id ?? '', [summary], { id: doctor.id, publicKey });
        doctorWraps.push({ doctorId: doctor.id, wrap: wraps[0].wrap });
      }
      return records.move(summary.id, { folderId, doctorWraps });
    },
    onSuccess: async () => {
      await invalidateAfter(queryClient, 'recordChanged');
      onDone(`Moved “${title}” to ${folderId ? `the folder “${targetName}”` : 'no folder'}`);
    },
  });

  if (choices.length === 0) {
    return (
      <div className="row">
        <span>There is no other folder to move it to.</span>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    );
  }
  const losing = preview.data?.losingDoctors ?? [];
  const gaining = preview.data?.coveringDoctors ?? [];
  return (
    <div className="stack record-move">
      <label>
        Move “{title}” to
        <select value={target} onChange={(event) => setDestination(event.target.value)}>
          {choices.map((folder) => (
            <option key={folder.id} value={folder.id}>
              {folder.name}
            </option>
          ))}
        </select>
      </label>
      {preview.error ? <Alert tone="error">{describeError(preview.error)}</Alert> : null}
      {gaining.length > 0 ? <p>The folder is shared: {gaining.map((doctor) => doctor.displayName).join(', ')} will be able to open this record.</p> : null}
      {losing.length > 0 ? (
        <Alert tone="info">{losing.map((doctor) => doctor.displayName).join(', ')} will no longer be able to open this record: their share does not cover the new place.</Alert>
      ) : null}
      {move.error ? <Alert tone="error">{describeError(move.error)}</Alert> : null}
      <div className="row">
        <Button type="button" isBusy={move.isPending} disabled={!preview.isSuccess} onClick={() => move.mutate()}>
          Move
        </Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
