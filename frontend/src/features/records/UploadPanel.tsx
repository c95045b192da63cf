/** Drag-and-drop or chosen files, encrypted in the worker and uploaded with a progress bar each. */
import { useState, type DragEvent } from 'react';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import type { RecordCategory } from '@phr/shared-types';
import { CategorySelect } from './CategorySelect.js';
import { formatBytes, today } from './format.js';
import type { UploadProgress } from './upload-record.js';
import { useUploads, type UploadItem } from './useUploads.js';

export function UploadPanel({ folderId }: { folderId: string | undefined }) {
  const uploads = useUploads();
  const [category, setCategory] = useState<RecordCategory>('other');
  const [date, setDate] = useState(today());
  const [dragging, setDragging] = useState(false);

  const addFiles = (files: FileList | null) => {
    if (files && files.length > 0) uploads.add([...files], { folderId, category, date });
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    addFiles(event.dataTransfer.files);
  };
  const finished = uploads.items.some((item) => ['done', 'failed', 'cancelled'].includes(item.progress.phase));

  return (
    <section className="upload-panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Add records</h2>
      <div className="row" data-testid="upload-choices">
        <CategorySelect label="Category" value={category} onChange={setCategory} />
        <label>
          Date of the record
          <input type="date" value={date} max={today()} onChange={(event) => setDate(event.target.value)} />
        </label>
      </div>
      <div
        className={`drop-zone${dragging ? ' drop-zone-active' : ''}`}
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop files here, or</p>
        <label className="button button-secondary">
          Choose files
          <input
            type="file"
            multiple
            className="visually-hidden"
            onChange={(event) => {
              addFiles(event.target.files);
              event.target.value = '';
            }}
          />
        </label>
        <p className="muted">Files are encrypted in this browser before they leave it.</p>
      </div>
      {uploads.items.length > 0 ? (
        <ul className="upload-list" aria-label="Uploads">
          {uploads.items.map((item) => (
            <UploadRow key={item.key} item={item} onCancel={() => uploads.cancel(item.key)} onRetry={() => uploads.retry(item.key)} onCategory={(category) => uploads.setCategory(item.key, category)} />
          ))}
        </ul>
      ) : null}
      {finished ? (
        <Button type="button" variant="secondary" onClick={uploads.clearFinished}>
          Clear finished
        </Button>
      ) : null}
    </section>
  );
}

function UploadRow({ item, onCancel, onRetry, onCategory }: { item: UploadItem; onCancel(): void; onRetry(): void; onCategory(category: RecordCategory): void }) {
  const { phase } = item.progress;
  const active = !['done', 'failed', 'cancelled'].includes(phase);
  // The category is sealed with the metadata, after the bytes are stored: until then it can still change.
  const isCategoryOpen = active && phase !== 'saving';
  return (
    <li className="upload-row" data-testid="upload-row" data-phase={phase}>
      <div className="row">
        <strong>{item.fileName}</strong>
        <span className="muted">{formatBytes(item.size)}</span>
        <CategorySelect label={`Category of ${item.fileName}`} value={item.category} disabled={!isCategoryOpen} onChange={onCategory} />
        <span data-testid="upload-status">{statusText(item.progress)}</span>
        {active ? (
          <Button type="button" variant="secondary" onClick={onCancel} aria-label={`Cancel upload of ${item.fileName}`}>
            Cancel
          </Button>
        ) : null}
        {phase === 'failed' ? (
          <Button type="button" variant="secondary" onClick={onRetry} aria-label={`Retry upload of ${item.fileName}`}>
            Retry
          </Button>
        ) : null}
      </div>
      <progress aria-label={`Upload of ${item.fileName}`} max={1} value={fraction(item.progress)} />
      {item.error ? <Alert tone="error">{item.error}</Alert> : null}
    </li>
  );
}

/** Encrypting and uploading overlap; the bar counts both halves. */
function fraction({ phase, encryptedBytes, uploadedBytes, totalBytes }: UploadProgress): number {
  if (phase === 'done' || phase === 'saving') return 1;
  if (totalBytes === 0) return 0;
  return (encryptedBytes + uploadedBytes) / (2 * totalBytes);
}

function statusText(progress: UploadProgress): string {
  const percent = (bytes: number) => `${progress.totalBytes ? Math.floor((bytes / progress.totalBytes) * 100) : 0}%`;
  switch (progress.phase) {
    case 'queued':
      return 'Waiting';
    case 'encrypting':
    case 'uploading':
      if (progress.retry) return `The connection failed: retrying ${progress.retry.attempt} of ${progress.retry.of}`;
      return `Encrypted ${percent(progress.encryptedBytes)} · uploaded ${percent(progress.uploadedBytes)}`;
    case 'saving':
      return 'Saving';
    case 'done':
      return 'Uploaded';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}
