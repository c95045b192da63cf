/** "Download my data": the GDPR export, with progress, cancel, and a plain account of what could not be exported. */
import { useEffect, useRef, useState } from 'react';
import type { FailedRecord } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { useSession } from '../auth/session.js';
import { saveFile } from '../records/open-record.js';
import { buildExport, type ExportProgress } from './build-export.js';
import { ExportCancelled } from './zip-archive.js';

type ExportState =
  | { kind: 'idle' }
  | { kind: 'running'; progress: ExportProgress }
  | { kind: 'saved'; fileName: string; exported: number; failed: FailedRecord[] }
  | { kind: 'cancelled' }
  | { kind: 'failed'; message: string };

function progressText({ phase, done, total }: ExportProgress): string {
  if (phase === 'listing') return 'Listing your records…';
  if (phase === 'records') return `Decrypting record ${done + 1} of ${total}…`;
  if (phase === 'audit') return `${total} of ${total} records done. Verifying your audit trail…`;
  return 'Writing the archive…';
}

function failedLabel(record: FailedRecord): string {
  return record.metadata ? record.metadata.title || record.metadata.fileName : `record ${record.id}`;
}

export function ExportPanel() {
  const { user, records, folders, consents, audit, vault } = useSession();
  const [state, setState] = useState<ExportState>({ kind: 'idle' });
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);
  if (!user) return null;

  const start = async () => {
    const controller = new AbortController();
    running.current = controller;
    setState({ kind: 'running', progress: { phase: 'listing', done: 0, total: 0 } });
    try {
      const result = await buildExport({ user, records, folders, consents, audit, vault }, (progress) => setState({ kind: 'running', progress }), controller.signal);
      if (controller.signal.aborted) return;
      saveFile(result.archive, result.fileName);
      setState({ kind: 'saved', fileName: result.fileName, exported: result.manifest.records.length - result.failed.length, failed: result.failed });
    } catch (error) {
      if (error instanceof ExportCancelled || controller.signal.aborted) return;
      setState({ kind: 'failed', message: describeError(error) });
    } finally {
      if (running.current === controller) running.current = null;
    }
  };
  const cancel = () => {
    running.current?.abort();
    setState({ kind: 'cancelled' });
  };

  return (
    <Card title="Download my data">
      <p>
        One ZIP archive with every record you stored, decrypted here in this browser and saved under its original file name, plus{' '}
        <code>manifest.json</code>: each record’s details and SHA-256 checksum, the consents you gave, and your complete audit trail with the result
        of verifying it. Nothing decrypted is sent anywhere; the archive is not encrypted, so keep it somewhere safe.
      </p>
      {state.kind === 'running' ? (
        <div className="stack" data-testid="export-progress">
          <p role="status">{progressText(state.progress)}</p>
          {state.progress.phase === 'records' ? <progress max={state.progress.total} value={state.progress.done} aria-label="Records exported" /> : null}
          <div className="row">
            <Button type="button" variant="secondary" onClick={cancel}>
              Cancel export
            </Button>
          </div>
        </div>
      ) : (
        <div className="row">
          <Button type="button" onClick={() => void start()}>
            Download my data
          </Button>
        </div>
      )}
      {state.kind === 'saved' ? (
        <Alert tone="success">
          Saved {state.fileName}: {state.exported} {state.exported === 1 ? 'record' : 'records'}, your consents and your audit trail.
        </Alert>
      ) : null}
      {state.kind === 'saved' && state.failed.length > 0 ? (
        <Alert tone="error">
          {state.failed.length === 1 ? 'One record' : `${state.failed.length} records`} could not be exported; manifest.json lists{' '}
          {state.failed.length === 1 ? 'it' : 'them'} with the reason:
          <ul data-testid="export-failures">
            {state.failed.map((record) => (
              <li key={record.id}>
                {failedLabel(record)}: {record.error}
              </li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {state.kind === 'cancelled' ? <Alert tone="info">Export cancelled. Nothing was saved.</Alert> : null}
      {state.kind === 'failed' ? <Alert tone="error">The export failed: {state.message}</Alert> : null}
    </Card>
  );
}
