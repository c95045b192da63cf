/** A decrypted image or PDF, shown in the page; the plaintext exists only in this browser. */
import { useEffect, useMemo, useRef } from 'react';
import type { DecryptedRecord } from '../../crypto/record-vault.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { saveFile } from './open-record.js';

export function RecordViewer({ record, onClose, returnFocusTo }: { record: DecryptedRecord; onClose(): void; returnFocusTo?: HTMLElement | null }) {
  const url = useMemo(() => URL.createObjectURL(record.file), [record.file]);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  useEffect(() => closeButton.current?.focus(), []);
  const { title, fileName, mimeType } = record.metadata;

  return (
    <Dialog label={title} onClose={onClose} className="viewer" returnFocusTo={returnFocusTo}>
      <div className="row viewer-bar">
        <h2>{title}</h2>
        <Button type="button" variant="secondary" onClick={() => saveFile(record.file, fileName)}>
          Download
        </Button>
        <Button type="button" ref={closeButton} onClick={onClose}>
          Close
        </Button>
      </div>
      {mimeType === 'application/pdf' ? (
        <iframe className="viewer-frame" title={`${title} (PDF)`} src={url} />
      ) : (
        <img className="viewer-image" alt={title} src={url} data-testid="record-preview" />
      )}
    </Dialog>
  );
}
