/** Rename, re-date, re-categorise a record: the metadata is re-sealed in the crypto worker and only the sealed document is sent. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { RECORD_METADATA_LIMITS, type RecordCategory, type RecordMetadata, type RecordSummary } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { CategorySelect } from './CategorySelect.js';
import { today } from './format.js';

interface RecordEditFormProps {
  summary: RecordSummary;
  metadata: RecordMetadata;
  onDone(): void;
}

export function RecordEditForm({ summary, metadata, onDone }: RecordEditFormProps) {
  const { records, vault } = useSession();
  const queryClient = useQueryClient();
  const [title, setTitle] = useState(metadata.title);
  const [date, setDate] = useState(metadata.date);
  const [category, setCategory] = useState<RecordCategory>(metadata.category);
  const [notes, setNotes] = useState(metadata.notes);
  const save = useMutation({
    mutationFn: async () => {
      const sealed = await vault.resealMetadata(summary, { ...metadata, title: title.trim(), date, category, notes });
      return records.updateMetadata(summary.id, sealed);
    },
    onSuccess: async () => {
      await invalidateAfter(queryClient, 'recordChanged');
      onDone();
    },
  });
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="stack record-edit" aria-label={`Edit ${metadata.title}`} onSubmit={submit}>
      <div className="row">
        <label>
          Title
          <input value={title} required maxLength={RECORD_METADATA_LIMITS.title} onChange={(event) => setTitle(event.target.value)} />
        </label>
        <label>
          Date of the record
          <input type="date" value={date} max={today()} onChange={(event) => setDate(event.target.value)} />
        </label>
        <CategorySelect label="Category" value={category} onChange={setCategory} />
      </div>
      <label>
        Notes
        <textarea value={notes} maxLength={RECORD_METADATA_LIMITS.notes} onChange={(event) => setNotes(event.target.value)} />
      </label>
      {save.error ? <Alert tone="error">{describeError(save.error)}</Alert> : null}
      <div className="row">
        <Button type="submit" isBusy={save.isPending} disabled={title.trim() === ''}>
          Save changes
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
