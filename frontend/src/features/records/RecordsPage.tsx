import { useState } from 'react';
import { TRASH_RETENTION_DAYS } from '@phr/shared-types';
import { Button } from '../../ui/Button.js';
import { ShareDialog, type ShareTarget } from '../sharing/ShareDialog.js';
import { FolderPanel } from './FolderPanel.js';
import { RecordList } from './RecordList.js';
import { UploadPanel } from './UploadPanel.js';
import { WhoAccessedSummary } from './WhoAccessedSummary.js';
import { useFolders } from './useRecordQueries.js';

/** A patient's records: folders, uploads, the list, the trash and sharing. Everything sealed is opened in the crypto worker. */
export function RecordsPage() {
  const [folderId, setFolderId] = useState<string | undefined>(undefined);
  const [isTrash, setIsTrash] = useState(false);
  const [sharing, setSharing] = useState<ShareTarget | null>(null);
  const folders = useFolders();
  const folderName = folders.data?.find((folder) => folder.id === folderId)?.name;
  return (
    <div className="records-page">
      <div className="row">
        <h1 tabIndex={-1}>Your records</h1>
        {isTrash ? null : (
          <Button
            type="button"
            variant="secondary"
            onClick={() =>
              setSharing(folderId ? { scope: 'folder', folderId, folderName, label: `the folder “${folderName ?? ''}”` } : { scope: 'all', label: 'all your records' })
            }
          >
            {folderId ? 'Share this folder' : 'Share all records'}
          </Button>
        )}
        <Button type="button" variant="secondary" aria-pressed={isTrash} onClick={() => setIsTrash(!isTrash)}>
          {isTrash ? 'Back to records' : 'Trash'}
        </Button>
      </div>
      <div className="records-layout">
        <FolderPanel
          selected={folderId}
          onSelect={(selected) => {
            setIsTrash(false);
            setFolderId(selected);
          }}
        />
        {isTrash ? (
          <div className="stack">
            <p className="muted">Records stay in the trash for {TRASH_RETENTION_DAYS} days, hidden from the doctors you share with; then they are deleted for good.</p>
            <RecordList view="trash" canChange title="Trash" />
          </div>
        ) : (
          <div className="stack">
            <UploadPanel folderId={folderId} />
            <RecordList
              folderId={folderId}
              canChange
              onShare={(row) =>
                setSharing({ scope: 'record', recordId: row.summary.id, label: `the record “${'metadata' in row.opened ? row.opened.metadata.title : ''}”` })
              }
            />
            <WhoAccessedSummary />
          </div>
        )}
      </div>
      {sharing ? <ShareDialog target={sharing} onClose={() => setSharing(null)} /> : null}
    </div>
  );
}
