import { useState } from 'react';
import { FolderPanel } from './FolderPanel.js';
import { RecordList } from './RecordList.js';
import { UploadPanel } from './UploadPanel.js';

/** A patient's records: folders, uploads and the list. Everything sealed is opened in the crypto worker. */
export function RecordsPage() {
  const [folderId, setFolderId] = useState<string | undefined>(undefined);
  return (
    <div className="records-page">
      <h1>Your records</h1>
      <div className="records-layout">
        <FolderPanel selected={folderId} onSelect={setFolderId} />
        <div className="stack">
          <UploadPanel folderId={folderId} />
          <RecordList folderId={folderId} />
        </div>
      </div>
    </div>
  );
}
